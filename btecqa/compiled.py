"""Querysets compiled once and run many times: for the few reads every page makes.

Building and compiling a Django queryset takes about a millisecond; running a small
indexed query takes a tenth of that. A read that every request makes in the same shape
(the role assignments; the learner list's group names and programme filter) is built
once per database and shape with stand-in ids, the places of those ids in the SQL's
parameters are remembered, and later requests run the same SQL with their own ids.

Used through CompiledQuery. What varies must be integer ids, or text compared with `=`
(a ULN): a stand-in that a lookup transforms (LIKE's wildcards) would not come back as
itself, and compiling says so. The rows pass through the converters Django would apply (a
date from SQLite is a date, a truth value a bool), looked up on the connection of the
request that runs them. Each use has a test comparing its rows with the ORM's, which CI
runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

_STAND_IN = -7_300_000_000  # an id no table holds; the k-th stand-in is _STAND_IN - k
_MAX_SHAPES = 256


class CompiledQuery:
    """`build(*ids, *key)` returns a values_list queryset; each of `ids` is an id or a list
    of ids, and `key` holds what else shapes the query (hashable values).

    `rows(*ids, key=...)` runs it with those ids. The SQL is compiled once per database,
    key and length of each list.
    """

    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._compiled: dict[tuple, tuple[str, tuple, list[tuple[int, int]]]] = {}

    def forget(self) -> None:
        """Compile again on next use (when what `build` reads has changed)."""
        self._compiled.clear()

    def rows(self, *args, key: tuple = (), using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        shape = (using, key, *(_length(a) for a in args))
        compiled = self._compiled.get(shape)
        if compiled is None:
            if len(self._compiled) >= _MAX_SHAPES:
                self._compiled.clear()
            compiled = self._compiled[shape] = self._compile(args, key, using)
        sql, params, slots, columns = compiled
        values = [v for a in args for v in (a if _length(a) is not None else (a,))]
        params = list(params)
        for index, k in slots:
            params[index] = values[k]
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        converters = _converters(columns, connection)
        if not converters or not rows:
            return rows
        out = []
        for row in rows:
            row = list(row)
            for i, (functions, expression) in converters:
                value = row[i]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[i] = value
            out.append(tuple(row))
        return out

    def _compile(self, args: Sequence, key: tuple, using: str):
        count = 0
        stand_ins = []
        for a in args:
            n = _length(a)
            if isinstance(a, str):
                stand_ins.append(_text_stand_in(count))
                count += 1
            elif n is None:
                stand_ins.append(_STAND_IN - count)
                count += 1
            else:
                if n == 0:
                    raise ValueError("CompiledQuery: an empty list has no rows to match.")
                stand_ins.append([_STAND_IN - count - i for i in range(n)])
                count += n
        queryset = self.build(*stand_ins, *key).using(using)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        columns = [column for column, _sql, _alias in compiler.select]
        texts = {_text_stand_in(k): k for k in range(count)}
        slots = [
            (index, _STAND_IN - p)
            for index, p in enumerate(params)
            if isinstance(p, int) and _STAND_IN - count < p <= _STAND_IN
        ]
        slots += [(i, texts[p]) for i, p in enumerate(params) if isinstance(p, str) and p in texts]
        if sorted({k for _i, k in slots}) != list(range(count)):
            raise ValueError(
                "CompiledQuery: some values did not reach the SQL as parameters (only "
                "integer ids compared with = or IN, and text compared with =, can vary)."
            )
        return sql, tuple(params), slots, columns


def _converters(columns, connection) -> list:
    """(position, converters, expression) for the columns that need converting on this
    connection (none for integer and text columns on either database)."""
    found = []
    for i, expression in enumerate(columns):
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        if functions:
            found.append((i, (functions, expression)))
    return found


def _length(value) -> int | None:
    return len(value) if isinstance(value, (list, tuple)) else None


def _text_stand_in(k: int) -> str:
    return f"\x00btecqa stand-in {k}\x00"  # no text a person types holds a NUL
