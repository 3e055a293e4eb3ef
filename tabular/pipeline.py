"""A read from start to end: file checks, header, typed rows, planned a chunk at a time.

``read_into(data, preview, sink, layout=…, make_planner=…)`` is an importer's whole read of
a one-sheet file. It is four steps, each usable on its own (the catalogue reads three
sheets of one workbook with the middle two):

    table = open_table_checked(data, preview, accept=…, kept=…)   # None: refused, and why
    header, rows = read_header(sheet, preview, layout, mapping)   # None: no usable header
    parsed = parse_rows(rows, header, layout, ctx)                # Row objects, streamed
    planner = plan(parsed, sink, make_planner)                    # chunks to the sink

``Preview`` is what a read found (file type, header, columns, file errors) with its sink's
tally: the importers' previews extend it. Every refusal lands in ``preview.file_errors``;
a FileRefused raised while rows stream (too many rows, a damaged sheet) empties the sink.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import rowlog
from .cells import Context
from .columns import FORMULA_REASON, Column, Header, Layout
from .files import MAX_IMPORT_BYTES, MAX_XLSX_EXPANDED_BYTES, SPREADSHEETS, check_file
from .problems import FileRefused, Problem
from .reading import Formula, Sheet, Table, cell_text, column_letter, is_formula, open_table
from .rowlog import ProblemList, Row, RowLog, Tally, batches

MAX_ROWS = 50_000
PAST_LAST_HEADING = (
    "a value past the last heading ({heading}): give its column a heading, or delete it"
)


@dataclass
class Preview:
    """What a read of a file found, and (as a preview) its rows log."""

    file_name: str = ""
    file_type: str = ""  # "csv" or "xlsx"
    encoding: str = ""
    sheet: str = ""
    header_row: int | None = None
    headings: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # field -> its column, in problems
    file_errors: list[Problem] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mapping_used: dict = field(default_factory=dict)
    file_sha256: str = ""
    import_obj: object = None
    tally: Tally = field(default_factory=Tally)
    log: RowLog | None = None  # None for a commit: its rows went to the database

    @property
    def errors(self) -> ProblemList:
        return ProblemList(self.file_errors, self.tally, self.log, "errors")

    @property
    def warnings(self) -> ProblemList:
        return ProblemList([], self.tally, self.log, "warnings")

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.tally.errors

    @property
    def needs_mapping(self) -> bool:
        """Required columns are missing but the file has headings a mapping could name."""
        return bool(self.missing_fields) and bool(self.headings)


@dataclass
class RowsPreview(Preview):
    """A preview that keeps its planned rows (each with its own `errors`) for the page to
    show and the commit to write: the small imports (tracking sheet, Pearson's results,
    certificates). `changes` counts what the commit would write."""

    rows: list = field(default_factory=list)
    changes: int = 0

    @property
    def problems(self) -> list[Problem]:
        out = list(self.file_errors)
        for r in self.rows:
            out.extend(r.errors)
        return out

    @property
    def ok(self) -> bool:
        return not self.problems


class RowsSink:
    """The reader's sink for a RowsPreview: each planned chunk is kept on the preview."""

    def __init__(self, preview):
        self.preview = preview

    def rows(self, chunk, planner):
        self.preview.rows.extend(chunk)

    def reset(self):
        self.preview.rows.clear()


def sha256(data) -> str:
    return hashlib.sha256(data).hexdigest() if data else ""


def open_table_checked(
    data,
    preview: Preview,
    *,
    accept=SPREADSHEETS,
    max_bytes: int = MAX_IMPORT_BYTES,
    max_expanded: int = MAX_XLSX_EXPANDED_BYTES,
    kept=None,
    layout: Layout | None = None,
) -> Table | None:
    """The file's table, or None with the refusal in preview.file_errors.

    kept: the FileType of a kept file that passed these checks when it was previewed (its
    hash checked since): data is then an open file, read as needed, not loaded.
    """
    try:
        kind = kept or check_file(
            data, accept=accept, max_bytes=max_bytes, max_expanded=max_expanded
        )
        score = None
        if layout is not None:
            mapping = preview.mapping_used

            def score(cells):
                return layout.score(cells, mapping)

        table = open_table(data, kind.kind, encoding=kind.encoding, score=score)
    except FileRefused as exc:
        preview.file_errors.append(exc.problem)
        return None
    preview.file_type, preview.encoding = kind.kind, kind.encoding
    return table


def read_header(
    sheet: Sheet, preview: Preview, layout: Layout, mapping: dict, *, sheet_name: str = ""
) -> tuple[Header | None, Iterator]:
    """(the header row as the layout reads it, the rows after it) or (None, …) with the
    refusal in preview.file_errors: an empty sheet, no header row, a header row in error or
    without a required column (preview.missing_fields, for the mapping step)."""
    rows = iter(sheet.rows())
    buffered, at = layout.find_header(rows, mapping)
    where = {"sheet": sheet_name} if sheet_name else {}
    if not buffered:
        preview.file_errors.append(
            Problem(f"the {layout.what} is empty: it has no rows at all", **where)
        )
        return None, rows
    if at is None:
        n, headings, problem = layout.no_header_problem(buffered)
        preview.header_row, preview.headings = n, headings
        preview.missing_fields = [f.name for f in layout.stored if f.needs_column]
        preview.file_errors.append(Problem(problem.reason, problem.row, **where))
        return None, rows
    n, cells = buffered[at]
    header = layout.read_header(n, cells, mapping)
    preview.header_row, preview.headings, preview.columns = n, header.headings, header.columns
    preview.names = header.names
    preview.file_errors.extend(
        Problem(p.reason, p.row, p.column, p.value, **where) for p in header.problems
    )
    if header.missing:
        preview.missing_fields = list(header.missing)
        p = layout.missing_problem(header)
        preview.file_errors.append(Problem(p.reason, p.row, **where))
    if header.problems or header.missing:
        return None, rows
    return header, _chain(buffered[at + 1 :], rows)


def _chain(first, rest):
    yield from first
    yield from rest


def parse_rows(
    data_rows,
    header: Header,
    layout: Layout,
    ctx: Context,
    *,
    row_class: Callable = Row,
    max_rows: int = MAX_ROWS,
    sheet: str = "",
) -> Iterator[Row]:
    """Each non-blank row below the header, its cells typed, as a Row (streamed).

    Every problem names the row and the column: a formula, a value a cell type refuses, a
    required value missing (after the row's other problems), a value past the last heading.
    """
    width = len(layout.stored)
    names, used, fields = header.names, header.used, layout.fields
    # (place in the row's values, column index, cell type, column name) for each column read
    plan = [(layout.position[f], i, fields[f].cell, names[f]) for f, i in used.items()]
    required = [
        (layout.position[f], used[f], names[f], fields[f].missing_reason)
        for f in used
        if fields[f].required
    ]
    last = header.width
    last_heading = header.headings[last - 1] if last else ""
    column_of = {i: names[f] for f, i in used.items()}
    where = {"sheet": sheet} if sheet else {}
    count = 0
    for n, cells in data_rows:
        # One pass over the cells: is the row blank, and does it hold a formula?
        blank, formulas = True, False
        for c in cells:
            if c is None:
                continue
            cls = c.__class__
            if cls is str:
                if blank and c.strip():
                    blank = False
            elif blank and cell_text(c):
                blank = False
            if cls is Formula:
                formulas = True
        if blank:
            continue
        if count >= max_rows:
            raise FileRefused(
                f"the file has more than {max_rows:,} rows; split it into smaller files"
            )
        count += 1
        r = row_class(n)
        bad = ()
        ncells = len(cells)
        if formulas:
            bad = set()
            for i, c in enumerate(cells):
                if is_formula(c):
                    bad.add(i)
                    column = column_of.get(i) or header.column_name(i)
                    r.add_error(Problem(FORMULA_REASON, n, column, str(c)[:60], **where))
        if ncells > last:
            for i in range(last, ncells):
                c = cells[i]
                if c is not None and not is_formula(c) and cell_text(c):
                    r.add_error(
                        Problem(
                            PAST_LAST_HEADING.format(heading=last_heading or "none"),
                            n,
                            column_letter(i),
                            cell_text(c)[:60],
                            **where,
                        )
                    )
        values = [None] * width
        for pos, i, cell, name in plan:
            c = cells[i] if i < ncells else None
            if c is None or (formulas and i in bad):
                continue
            text = c.replace("\xa0", " ").strip() if c.__class__ is str else cell_text(c)
            if not text:
                continue
            value, reason = cell.clean(c, text, ctx)
            if reason:
                if bad == ():
                    bad = set()
                bad.add(i)
                r.add_error(Problem(reason, n, name, text, **where))
            else:
                values[pos] = value
        for pos, i, name, reason in required:
            if values[pos] is None and i not in bad:
                r.add_error(Problem(reason, n, name, "", **where))
        r.vals = tuple(values)
        yield r


def plan(parsed, sink, make_planner: Callable, *, chunk_rows: int | None = None):
    """Hand the rows to the planner and the sink a chunk at a time; the planner, or None
    when there was no row. The planner is made when the first chunk is ready (so what it
    loads from the database is loaded only for a file with rows)."""
    planner = None
    for chunk in batches(parsed, chunk_rows or rowlog.CHUNK_ROWS):
        if planner is None:
            planner = make_planner()
        planner.plan(chunk)
        sink.rows(chunk, planner)
    return planner


def read_into(
    data,
    preview: Preview,
    sink,
    *,
    layout: Layout,
    make_planner: Callable[[Header], object],
    today,
    check: Callable[[Header], list[Problem]] | None = None,
    each: Callable | None = None,
    row_class: Callable = Row,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_IMPORT_BYTES,
    kept=None,
    **context,
):
    """Check the file, find its header, type its rows and plan them into the sink; the
    planner, or None with the refusal in preview.file_errors (the sink emptied).

    check(header) gives the importer's own refusals of a header row (a column it cannot
    do without, an option that does not fit); each(rows, header) wraps the typed rows (a
    check across a row's cells); context goes to the cells (``Context``: the centre …).
    """
    table = open_table_checked(data, preview, max_bytes=max_bytes, kept=kept, layout=layout)
    if table is None:
        return None
    with table:
        sheet = table.first
        preview.sheet = sheet.name
        try:
            header, rows = read_header(sheet, preview, layout, preview.mapping_used)
            if header is None:
                return None
            problems = check(header) if check else []
            if problems:
                preview.file_errors.extend(problems)
                return None
            ctx = Context(today, sheet.date_base, **context)
            parsed = parse_rows(rows, header, layout, ctx, row_class=row_class, max_rows=max_rows)
            if each is not None:
                parsed = each(parsed, header)
            planner = plan(parsed, sink, lambda: make_planner(header))
        except FileRefused as exc:
            preview.file_errors.append(exc.problem)
            sink.reset()
            return None
    if planner is None:
        preview.file_errors.append(no_rows(header, layout))
    return planner


def no_rows(header: Header, layout: Layout) -> Problem:
    return Problem(
        f"the {layout.what} is empty: there are no rows below the headings (row {header.row})",
        row=header.row,
    )
