"""The streamed preview: each row's result one JSON line in a gzipped log, memory flat.

A read hands its rows to a sink a chunk at a time. The preview's sink is a ``RowLog``: it
writes each row as a line (``{"e": effect, "p": 0/1, "row": n, …}``: the effect and whether
the row has a problem come first, so a page of a filter is picked out without parsing
every line), and keeps in memory only the counts and the first ``MAX_STORED_ERRORS`` errors
and warnings (``Tally``). Problems a later row finds with an earlier one (the two rows of a
duplicate) are put into the earlier line by one more pass over the log at the end
(``planner.fix(line)``, when ``planner.prepare_fixes()`` says there are any). ``Repeats``
finds the values a file repeats in fixed memory. ``LogRows`` pages through a kept log for
the preview page; ``ProblemList`` streams every error of a preview, the first ones from
memory, the rest from the log.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import tempfile
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from .problems import Problem

MAX_STORED_ERRORS = 1_000  # kept on the import record (and in memory); every one is in the log
CHUNK_ROWS = 500  # rows planned (and, at commit, written) at a time
LOG_SUFFIX = ".rows.jsonl.gz"


def batches(iterable, size: int):
    it = iter(iterable)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


_NO_PROBLEMS: tuple = ()  # a row's errors and warnings until it has one: no list per row


class Row:
    """One row of a file as a read found it: its values (a tuple in the layout's order) and
    its problems. Importers subclass it with what their planner works out."""

    __slots__ = ("row", "effect", "vals", "errors", "warnings", "mark")

    def __init__(self, row, effect="error", vals=()):
        self.row = row
        self.effect = effect
        self.vals = vals
        self.errors = _NO_PROBLEMS
        self.warnings = _NO_PROBLEMS
        self.mark = None  # errors before this place come from the row alone (log fix-ups)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} row {self.row}: {self.effect}>"

    def add_error(self, problem: Problem) -> None:
        if self.errors is _NO_PROBLEMS:
            self.errors = [problem]
        else:
            self.errors.append(problem)

    def add_warning(self, problem: Problem) -> None:
        if self.warnings is _NO_PROBLEMS:
            self.warnings = [problem]
        else:
            self.warnings.append(problem)


def problem_lists(r: Row) -> dict:
    """A row's problems as its log line holds them: [column, value, reason] each."""
    out = {}
    if r.errors:
        out["errors"] = [[p.column, p.value, p.reason] for p in r.errors]
        if r.mark is not None and r.mark < len(r.errors):
            out["at"] = r.mark
    if r.warnings:
        out["warnings"] = [[p.column, p.value, p.reason] for p in r.warnings]
    return out


def problems_of(rec: dict, key: str = "errors") -> list[Problem]:
    row = rec.get("row")
    return [Problem(reason, row, column, value) for column, value, reason in rec.get(key, ())]


def _json_default(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default).encode


def line_head(line: bytes) -> tuple[str, bool]:
    """(effect, has a problem) from the start of a log line, without parsing the rest."""
    end = line.index(b'"', 6)  # {"e":"create","p":0,...
    return line[6:end].decode(), line[end + 6 : end + 7] == b"1"


class Tally:
    """Counts of the rows and their problems, with the first MAX_STORED_ERRORS of each kind.

    Lines whose effect is in `extra` (a learner import's leavers) are not rows of the file.
    """

    def __init__(self, extra=(), limit: int | None = None):
        self.extra = frozenset(extra)
        self.limit = MAX_STORED_ERRORS if limit is None else limit
        self.effects: dict[str, int] = defaultdict(int)
        self.rows = self.errors = self.warnings = self.problem_rows = 0
        self.flags: dict[str, int] = defaultdict(int)  # lines flagged for the counts ("f")
        self.first_errors: list[Problem] = []
        self.first_warnings: list[Problem] = []

    def add(self, row, effect: str, errors, warnings, flags=()) -> None:
        """One line; its errors and warnings as Problems or as [column, value, reason]."""
        self.effects[effect] += 1
        for flag in flags:
            self.flags[flag] += 1
        if effect not in self.extra:
            self.rows += 1
        if errors or warnings:
            self.problem_rows += 1
            self.errors += len(errors)
            self.warnings += len(warnings)
            for found, kept in ((errors, self.first_errors), (warnings, self.first_warnings)):
                for p in found[: self.limit - len(kept)]:
                    kept.append(p if isinstance(p, Problem) else Problem(p[2], row, p[0], p[1]))

    def count(self, rows) -> None:
        """Rows already planned and written elsewhere (a commit's)."""
        for r in rows:
            self.add(r.row, r.effect, r.errors, r.warnings, getattr(r, "flags", ()))


class RowLog:
    """A preview's sink: every row's line in a gzipped temporary file until it is kept.

    rows(chunk, planner) writes planner.record(row) for each row of a chunk; finish() runs
    the fix-up pass when the planner has problems to put into earlier lines.
    """

    def __init__(self, extra=()):
        self.extra = extra
        self.tally = Tally(extra)
        self.planner = None
        self._start()

    def _start(self) -> None:
        self.file = tempfile.NamedTemporaryFile(prefix="btecqa-import-", suffix=LOG_SUFFIX)
        self._out = gzip.GzipFile(fileobj=self.file, mode="wb", compresslevel=1, mtime=0)

    def write(self, recs) -> None:
        add = self.tally.add
        lines = []
        for rec in recs:
            add(
                rec.get("row"),
                rec["e"],
                rec.get("errors", ()),
                rec.get("warnings", ()),
                rec.get("f", ()),
            )
            lines.append(encode(rec))
        if lines:
            self._out.write(("\n".join(lines) + "\n").encode())

    def rows(self, chunk, planner) -> None:
        self.planner = planner
        record = planner.record
        self.write(record(r) for r in chunk)

    def reset(self) -> None:
        """Nothing of what was written counts (the file was refused part-way through)."""
        self._out.close()
        self.file.close()
        self.tally = Tally(self.extra)
        self.planner = None
        self._start()

    def close(self) -> None:
        self._out.close()
        self.file.flush()

    def finish(self, preview=None) -> None:
        """Close the log; put into earlier lines what later rows found with them."""
        self.close()
        planner = self.planner
        if planner is not None and planner.prepare_fixes():
            old = self.file
            self.tally = Tally(self.extra)
            self._start()
            with gzip.open(old.name, "rb") as lines:
                for chunk in batches(lines, CHUNK_ROWS):
                    recs = [json.loads(line) for line in chunk]
                    for rec in recs:
                        planner.fix(rec)
                    self.write(recs)
            old.close()
            self._out.close()
            self.file.flush()

    def open(self):
        return open(self.file.name, "rb")


def _streamed_item(self, index):
    """seq[i] and seq[a:b] of a sequence that streams: only what is asked for is read."""
    if isinstance(index, slice):
        if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop or 0) < 0:
            return list(self)[index]
        return list(itertools.islice(self, index.start, index.stop))
    if index < 0:
        return list(self)[index]
    try:
        return next(itertools.islice(self, index, None))
    except StopIteration:
        raise IndexError(index) from None


def all_rows(effect: str, problem: bool) -> bool:
    return True


class LogRows:
    """The lines of a rows log that keep(effect, has a problem) picks, as a sequence a
    Paginator can page through. Its length is one pass over the compressed lines, parsing
    none; a slice parses only the lines it returns. Nothing but the page is held."""

    def __init__(self, opener, keep: Callable = all_rows, row_class: Callable = dict):
        self._open = opener  # () -> a binary file of the gzipped lines, or None
        self._keep = keep
        self._row = row_class
        self._len = None

    def _lines(self) -> Iterator[bytes]:
        fh = self._open()
        if fh is None:
            return
        with fh, gzip.GzipFile(fileobj=fh, mode="rb") as lines:
            keep = self._keep
            for line in lines:
                if keep(*line_head(line)):
                    yield line

    def __len__(self) -> int:
        if self._len is None:
            self._len = sum(1 for _ in self._lines())
        return self._len

    def __iter__(self):
        row = self._row
        for line in self._lines():
            yield row(json.loads(line))

    __getitem__ = _streamed_item


def has_problem(effect: str, problem: bool) -> bool:
    return problem


class ProblemList(Sequence):
    """A preview's errors (or warnings), file errors first, read from the rows log as needed.

    len() is the count; iterating streams them all (the first MAX_STORED_ERRORS are in
    memory, the rest are read from the log), so printing every error holds none of them.
    """

    def __init__(self, first: list[Problem], tally: Tally, log, kind: str = "errors"):
        self._first, self._tally, self._log, self._kind = first, tally, log, kind

    def _parts(self):
        t = self._tally
        if self._kind == "errors":
            return self._first, t.first_errors, t.errors
        return self._first, t.first_warnings, t.warnings

    def __len__(self) -> int:
        first, _kept, total = self._parts()
        return len(first) + total

    def __iter__(self) -> Iterator[Problem]:
        first, kept, total = self._parts()
        yield from first
        yield from kept
        if total > len(kept) and self._log is not None:
            skip = len(kept)
            for rec in LogRows(self._log.open, has_problem):
                for p in problems_of(rec, self._kind):
                    if skip:
                        skip -= 1
                    else:
                        yield p

    __getitem__ = _streamed_item

    def __bool__(self) -> bool:
        return len(self) > 0

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def __repr__(self) -> str:
        return f"<ProblemList of {len(self)} {self._kind}>"


class Repeats:
    """Values the file repeats (a number on two rows), found in fixed memory, whatever the
    file's length.

    add(key, row, tag) as the rows go: a Bloom filter of a fixed half megabyte remembers
    every key's hash, and a key it may have seen before becomes a candidate (a repeat
    always does; a false alarm is rare, about one key in a thousand near MAX_ROWS). Each
    (hash, row, tag) is also appended to a temporary file, 12 bytes a key, so that groups()
    can find every row of each candidate afterwards, in one pass over the file:
    [(tag, [rows])] for each key on two rows or more. In memory: the filter, a small
    buffer and the candidates, never a Python object per row.
    """

    BITS = 1 << 22
    HASHES = 5
    BUFFER = 4096  # entries written to the file at a time

    def __init__(self):
        self._bits = bytearray(self.BITS >> 3)
        self.candidates: set[int] = set()
        self._hashes, self._rows = array("q"), array("q")
        self._file = None

    def add(self, key, row: int, tag: int = 0) -> None:
        h = hash(key)
        bits, mask = self._bits, self.BITS - 1
        a, step = h & mask, (h >> 32) | 1
        seen = True
        for _ in range(self.HASHES):
            byte, bit = a >> 3, 1 << (a & 7)
            if not bits[byte] & bit:
                seen = False
                bits[byte] |= bit
            a = (a + step) & mask
        if seen:
            self.candidates.add(h)
        self._hashes.append(h)
        self._rows.append(row << 8 | tag)
        if len(self._hashes) == self.BUFFER:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="btecqa-repeats-")
        self._hashes.tofile(self._file)  # a full buffer: BUFFER hashes, then their rows
        self._rows.tofile(self._file)
        del self._hashes[:], self._rows[:]

    def _blocks(self):
        if self._file is not None:
            self._file.seek(0)
            while True:
                hashes, rows = array("q"), array("q")
                try:
                    hashes.fromfile(self._file, self.BUFFER)
                except EOFError:
                    break
                rows.fromfile(self._file, self.BUFFER)
                yield hashes, rows
        yield self._hashes, self._rows

    def groups(self) -> list[tuple[int, list[int]]]:
        """(tag, [rows, in file order]) of every key added on two rows or more."""
        if not self.candidates:
            return []
        found: dict[int, list[int]] = {}
        candidates = self.candidates
        for hashes, rows in self._blocks():
            for h, packed in zip(hashes, rows, strict=True):
                if h in candidates:
                    found.setdefault(h, []).append(packed)
        return [
            (rows[0] & 0xFF, [packed >> 8 for packed in rows])
            for rows in found.values()
            if len(rows) > 1
        ]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
