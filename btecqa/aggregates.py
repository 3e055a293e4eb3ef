"""Aggregates Django does not give for every database we run on."""

from __future__ import annotations

from django.db.models import Aggregate, CharField

SEPARATOR = "\x1f"  # the ASCII unit separator: never in a criterion code or a name


class Joined(Aggregate):
    """The group's values joined into one string with `SEPARATOR`, in no set order:
    GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL (Django 5.2 has StringAgg for
    PostgreSQL only). For a read that needs a group's members but not one row each,
    such as claim readiness's criterion codes per learner × assignment × attempt.
    None when the group (or its filter) has no rows."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, CHAR(31))"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        # set on a copy, not passed as template=: Aggregate.as_sql passes its own
        # template when there is a filter
        clone = self.copy()
        clone.function = "STRING_AGG"
        clone.template = "%(function)s((%(expressions)s)::text, CHR(31))"
        return clone.as_sql(compiler, connection, **extra_context)


def split(joined: str | None) -> list[str]:
    """The values of a `Joined` string ([] for None)."""
    return joined.split(SEPARATOR) if joined else []
