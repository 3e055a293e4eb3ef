from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

CENTRE_NUMBER_MESSAGE = "A Pearson centre number is exactly five digits, for example 40123."

validate_centre_number_format = RegexValidator(
    r"^\d{5}$", CENTRE_NUMBER_MESSAGE, code="centre_number"
)


def validate_centre_number(value: str) -> None:
    validate_centre_number_format(value)
    if value == "00000":
        raise ValidationError("00000 is not a centre number.", code="centre_number")
