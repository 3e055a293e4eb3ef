"""The base of every btecqa form: text that can be stored, numbers the database can hold.

Forms subclass `Form` or `ModelForm` from here (or mix `CleanInput` into a library's form
class). Just before cleaning, every field of the form as it stands (including fields added
in `__init__`) is given the shared checks:

* text (CharField and its kinds): `btecqa.validators.TextValidator`, which refuses control
  characters with the field's label and the character named; tab and line breaks are allowed
  only where the widget is a Textarea. Passwords are left alone: they are never stored or shown.
* whole numbers (IntegerField): the database's range, unless the field sets its own.
* record choices (ModelChoiceField, ModelMultipleChoiceField): an id beyond the database's
  range is "not one of the choices", as any other wrong id is, instead of an OverflowError
  (SQLite) or a widget querying with it.

`tests/test_input_hygiene.py` walks every form class in the project and fails if one does not
inherit `CleanInput`, so a new form cannot forget.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.forms.utils import pretty_name
from django.utils.text import capfirst

from .params import MAX_INT, MIN_INT
from .validators import TextValidator

_GUARDED = "_btecqa_guarded"


_INTEGER = re.compile(r"-?[0-9]{1,19}")


def _bad_id(value) -> bool:
    """Text or a number that cannot be an integer primary key (30 digits, "²", "abc")."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not MIN_INT <= value <= MAX_INT
    if not isinstance(value, str) or value.strip() == "":
        return False
    text = value.strip()
    return not _INTEGER.fullmatch(text) or not MIN_INT <= int(text) <= MAX_INT


def _integer_keyed(field: forms.ModelChoiceField) -> bool:
    if field.queryset is None:  # set later in the form's __init__; full_clean checks again
        return False
    key = field.queryset.model._meta.pk
    if field.to_field_name:
        key = field.queryset.model._meta.get_field(field.to_field_name)
    return isinstance(key, (models.AutoField, models.IntegerField))


def guard_field(name: str, field: forms.Field) -> None:
    """Give one field the shared checks (once)."""
    if getattr(field, _GUARDED, False):
        return
    setattr(field, _GUARDED, True)
    if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
        label = capfirst(str(field.label)) if field.label else pretty_name(name)
        field.validators.append(
            TextValidator(label, multiline=isinstance(field.widget, forms.Textarea))
        )
    elif isinstance(field, forms.IntegerField) and not isinstance(
        field, (forms.FloatField, forms.DecimalField)
    ):
        if field.max_value is None:
            field.validators.append(MaxValueValidator(MAX_INT))
        if field.min_value is None:
            field.validators.append(MinValueValidator(MIN_INT))


def _in_range(value, replacement):
    if isinstance(value, (list, tuple)):
        return type(value)(replacement if _bad_id(v) else v for v in value)
    return replacement if _bad_id(value) else value


class CleanInput:
    """Mixin for any form class: the shared checks on every field, just before cleaning."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._keep_ids_in_range()

    def _keep_ids_in_range(self) -> None:
        """A record id that is not a number the database can hold becomes 0, naming no record.

        The field then answers "Select a valid choice" as for any other wrong id, and
        neither cleaning nor a widget (the admin's autocomplete) queries the database with
        a number it cannot take. An initial value from the query string is dropped.
        """
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField) or not _integer_keyed(field):
                continue
            key = self.add_prefix(name)
            if self.is_bound and key in self.data:
                many = hasattr(self.data, "getlist")
                raw = self.data.getlist(key) if many else self.data[key]
                kept = _in_range(raw, "0")
                if kept != raw:
                    if not getattr(self, "_data_copied", False):
                        self.data, self._data_copied = self.data.copy(), True
                    if many:
                        self.data.setlist(key, kept)
                    else:
                        self.data[key] = kept
            elif not self.is_bound and name in self.initial:
                self.initial[name] = _in_range(self.initial[name], None)

    def full_clean(self):
        self._keep_ids_in_range()  # again, for fields added after __init__
        for name, field in self.fields.items():
            guard_field(name, field)
        super().full_clean()


class Form(CleanInput, forms.Form):
    pass


class ModelForm(CleanInput, forms.ModelForm):
    pass


FORM_REFUSED = "Nothing was saved: the form below says why."
FORM_INCOMPLETE = "The form was incomplete: reload the page and try again."


def show_again(request, form, **current) -> None:
    """Ready a refused form to go back on its page, bound: each error beside its field and
    what concerns the record (someone else changed it, it is closed) at the form's top.
    The page's banner carries the latter too, since the form may be far down a long page
    or, the record having changed, no longer offered; for field errors alone it points down
    to the form. An error on a hidden field reads as the form being incomplete. `current`
    replaces values the page carries (a record's version, the hash of what it shows), so
    the form sent again acts on the page as it is now, not as it was."""
    if any(form.fields[name].widget.is_hidden for name in form.errors if name in form.fields):
        form.add_error(None, FORM_INCOMPLETE)
    if current:
        form.data = form.data.copy()
        for name, value in current.items():
            form.data[form.add_prefix(name)] = str(value)
    about_the_record = form.non_field_errors()
    messages.error(request, " ".join(about_the_record) if about_the_record else FORM_REFUSED)


def add_refusal(form, exc) -> None:
    """Put a service's ValidationError on the form: an error about a field beside it, the
    rest at the form's top (what every page does when a service refuses its form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
