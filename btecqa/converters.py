"""`<id:pk>`: the path converter for record ids in every urls.py.

Django's `<int:pk>` takes any number of digits, so /learners/99999999999999999999999/ reached
the database with a number it cannot hold and answered 500. This one matches up to 19 digits
and refuses anything above the database's integer range, so the URL simply does not match:
404, like any other id that names nothing.
"""

from django.urls import register_converter

from .params import MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(f"{value} is beyond the database's integer range")
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
