"""PDFs: one page layout, one set of styles, fast text and tables, the signature block.

    Document(title=..., centre=..., footer=..., landscape=False, preview=False).build(story)

gives A4 bytes with the same furniture on every page: the centre and the title at the top,
what the document is and when it was printed at the foot, and "Page x of y". A preview
(`preview=True`) is marked PREVIEW across every page and in its header.

The story is reportlab platypus flowables. Small runs of styled text use `para()` (always
escaped) and `facts()`; long material uses this module's own flowables, which lay text out
with the font's widths and write the page's drawing operators directly, because platypus
paragraphs cost about a millisecond a cell:

- `DataTable(headings, rows, widths)`: rows of plain text, wrapped in their columns, split
  between rows across pages with the heading row repeated on each;
- `TextBlock(lines)`: lines of plain text (letters), wrapped, optionally shrunk to fit.

`signed_block(signature)` prints who signed, as what, when, which version and the SHA-256 of
the content they signed; `unsigned_block(...)` leaves lines to sign by hand.

The fonts are the standard Helvetica family (WinAnsi). A character outside it is drawn by
reportlab's own path, which prints a visible box: nothing is silently dropped.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape as _landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
)

from .formats import uk_datetime

__all__ = [
    "BODY",
    "H2",
    "LABEL",
    "MONO",
    "RIGHT",
    "SMALL",
    "TITLE",
    "DataTable",
    "Document",
    "Line",
    "TextBlock",
    "facts",
    "mm",
    "para",
    "signed_block",
    "text_width",
    "unsigned_block",
    "wrap_text",
]

FONT, BOLD, MONO_FONT = "Helvetica", "Helvetica-Bold", "Courier"
INK = colors.black
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#8c8c8c")
SHADE = colors.HexColor("#e8e8e8")
STRIPE = colors.HexColor("#f4f4f4")
PREVIEW_INK = colors.HexColor("#b00020")
PREVIEW_MARK = colors.HexColor("#f6dede")  # behind the text: light enough to read through

# --- styles ------------------------------------------------------------------------------

_SHEET = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_SHEET["Normal"], fontName=FONT, fontSize=9.5, leading=12)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
LABEL = ParagraphStyle("label", parent=BODY, fontName=BOLD)
TITLE = ParagraphStyle(
    "title", parent=_SHEET["Title"], fontName=BOLD, fontSize=15, leading=18, alignment=0
)
H2 = ParagraphStyle(
    "h2", parent=_SHEET["Heading2"], fontName=BOLD, fontSize=11.5, leading=14, spaceBefore=8
)
MONO = ParagraphStyle("mono", parent=BODY, fontName=MONO_FONT, fontSize=8.5)
RIGHT = ParagraphStyle("right", parent=BODY, alignment=TA_RIGHT)


def para(text, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text: escaped, so < & > in a name print as themselves."""
    return Paragraph(escape(str(text)), style)


def facts(pairs: Iterable[tuple[str, str]], *, label_width=40 * mm, value_width=None):
    """A label and its value on each line, left-aligned: the header block of a document.

    The value column takes the rest of the frame unless `value_width` is given."""
    return DataTable(
        None,
        [(k, v) for k, v in pairs],
        [label_width, value_width],
        size=BODY.fontSize,
        leading=BODY.leading,
        padding=(1, 1, 0),
        stripes=False,
        grid=False,
        bold_first=True,
    )


# --- measuring and writing text ------------------------------------------------------------


@dataclass(frozen=True)
class _Face:
    """A standard font's widths (per point of size) for every WinAnsi character."""

    name: str
    widths: dict
    widest: float

    def width(self, text: str, size: float) -> float:
        try:
            return sum(map(self.widths.__getitem__, text)) * size
        except KeyError:  # outside WinAnsi: reportlab measures its substitute glyphs
            return pdfmetrics.stringWidth(text, self.name, size)


@cache
def _face(name: str) -> _Face:
    font = pdfmetrics.getFont(name)
    widths = {}
    for code in range(32, 256):
        try:
            char = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        widths[char] = font.widths[code] / 1000
    return _Face(name, widths, max(widths.values()))


def text_width(text: str, font: str = FONT, size: float = 9.5) -> float:
    return _face(font).width(text, size)


def wrap_text(text: str, width: float, font: str = FONT, size: float = 9.5) -> list[str]:
    """The text broken into lines no wider than `width` points: at spaces, and inside a word
    only when the word alone is wider. Line breaks in the text are kept."""
    face = _face(font)
    lines: list[str] = []
    for part in str(text).split("\n"):
        if len(part) * face.widest * size <= width:
            lines.append(part)
            continue
        # Each character's advance once, then every break found by bisection.
        try:
            advances = map(face.widths.__getitem__, part)
            edge = list(itertools.accumulate(advances, initial=0.0))
        except KeyError:  # a character outside WinAnsi: measured one by one
            advances = [face.width(c, 1) for c in part]
            edge = list(itertools.accumulate(advances, initial=0.0))
        if edge[-1] * size <= width:
            lines.append(part)
            continue
        limit_units = width / size
        spaces = [m.start() for m in _SPACE.finditer(part)]
        start, end = 0, len(part)
        while start < end:
            fits = bisect.bisect_right(edge, edge[start] + limit_units) - 1  # chars [start, fits)
            if fits >= end:
                lines.append(part[start:])
                break
            k = bisect.bisect_right(spaces, fits) - 1
            if k >= 0 and spaces[k] > start:
                lines.append(part[start : spaces[k]])
                start = spaces[k] + 1
            else:  # one word wider than the column: break it
                cut = max(fits, start + 1)
                lines.append(part[start:cut])
                start = cut
            while start < end and part[start] == " ":
                start += 1
    return lines


_SPACE = re.compile(" ")

# PDF string literal escapes for the bytes of WinAnsi-encoded text (what reportlab writes).
_ESCAPES = {c: f"\\{c:03o}" for c in itertools.chain(range(32), range(127, 256))}
_ESCAPES.update({ord("\\"): "\\\\", ord("("): "\\(", ord(")"): "\\)"})


def _literal(text: str) -> str | None:
    """The text as a PDF string literal, or None if a character is outside WinAnsi."""
    try:
        raw = text.encode("cp1252")
    except UnicodeEncodeError:
        return None
    return "(" + raw.decode("latin-1").translate(_ESCAPES) + ")"


def _num(value: float) -> str:
    """A coordinate as PDF writes it: two decimals at most, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


class _Text:
    """Text drawn in one BT ... ET run per font, each string placed by a move from the last
    (the moves repeat row after row, so the page compresses to little). Anything outside
    WinAnsi goes through reportlab's drawString, so it prints as reportlab prints it (a
    visible box)."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.ops: list[str] = []
        self.at = (0.0, 0.0)  # where the last string started, inside the BT block
        self.font: tuple[str, float] | None = None
        self.fill = None
        self.numbers: dict[float, str] = {}  # the moves repeat: each is formatted once

    def set(self, font: str, size: float, fill=INK) -> None:
        if (font, size) != self.font:
            self.flush()
            self.canvas.setFont(font, size)
            self.font = (font, size)
        if fill is not self.fill:
            self.flush()
            self.canvas.setFillColor(fill)
            self.fill = fill

    def put(self, x: float, y: float, text: str) -> None:
        if not text:
            return
        literal = _literal(text)
        if literal is None:
            self.flush()
            self.canvas.drawString(x, y, text)
            return
        # The move is rounded as written, and the next is taken from where this one lands,
        # so rounding never adds up down a page.
        x0, y0 = self.at
        dx, dy = round(x - x0, 2), round(y - y0, 2)
        numbers = self.numbers
        mx = numbers.get(dx) or numbers.setdefault(dx, _num(dx))
        my = numbers.get(dy) or numbers.setdefault(dy, _num(dy))
        self.ops.append(f"{mx} {my} Td {literal} Tj")
        self.at = (x0 + dx, y0 + dy)

    def flush(self) -> None:
        if self.ops:
            self.canvas.addLiteral("BT\n" + "\n".join(self.ops) + "\nET")
            self.ops = []
        self.at = (0.0, 0.0)


# --- tables --------------------------------------------------------------------------------


class _TableLayout:
    """Every row's lines and height, worked out once and shared by the pieces of a split."""

    def __init__(self, headings, rows, widths, size, leading, padding, bold_first=False):
        self.headings = [str(h) for h in headings or ()]
        self.rows = [["" if v is None else str(v) for v in row] for row in rows]
        self.given = widths
        self.size, self.leading = size, leading or round(size * 1.2, 2)
        self.pad_top, self.pad_bottom, self.pad_side = padding
        self.bold_first = bold_first
        self.widths: list[float] | None = None

    def ready(self, available: float) -> _TableLayout:
        if self.widths is not None:
            return self
        n = len(self.given or self.headings or (self.rows[0] if self.rows else ()))
        given = list(self.given or [None] * n)
        if self.headings and len(given) != len(self.headings):
            raise ValueError(f"{len(self.headings)} headings but {len(given)} column widths")
        free = given.count(None)
        share = (available - sum(w for w in given if w is not None)) / free if free else 0
        self.widths = [share if w is None else w for w in given]
        self.width = sum(self.widths)
        inner = [w - 2 * self.pad_side for w in self.widths]
        fonts = [BOLD if self.bold_first and i == 0 else FONT for i in range(n)]
        self.head_lines = (
            [wrap_text(h, w, BOLD, self.size) for h, w in zip(self.headings, inner, strict=True)]
            if self.headings
            else []
        )
        self.head_height = self._height(max(map(len, self.head_lines))) if self.headings else 0
        self.lines, cumulative, total = [], [0.0], 0.0
        for row in self.rows:
            if len(row) != n:
                raise ValueError(f"a row has {len(row)} cells for {n} columns: {row!r}")
            cells = [
                wrap_text(v, w, f, self.size) for v, w, f in zip(row, inner, fonts, strict=True)
            ]
            self.lines.append(cells)
            total += self._height(max(map(len, cells)))
            cumulative.append(total)
        self.cumulative = cumulative
        return self

    def _height(self, lines: int) -> float:
        return (
            self.pad_top
            + self.size
            + (lines - 1) * self.leading
            + 0.25 * self.size
            + (self.pad_bottom)
        )

    def rows_height(self, start: int, end: int) -> float:
        return self.cumulative[end] - self.cumulative[start]


class DataTable(Flowable):
    """Rows of plain text in a grid, split between rows across pages, headings on each page.

    `widths` are points (e.g. [30 * mm, ...]); without them the columns share the frame.
    Text wraps within its column; a row is never split.
    """

    def __init__(
        self,
        headings: Sequence[str],
        rows: Iterable[Sequence],
        widths: Sequence[float] | None = None,
        *,
        size: float = 7.5,
        leading: float | None = None,
        padding: tuple[float, float, float] = (2, 3, 3),
        stripes: bool = True,
        grid: bool = True,
        bold_first: bool = False,
        _layout: _TableLayout | None = None,
        _span: tuple[int, int | None] = (0, None),
    ):
        super().__init__()
        self.hAlign = "LEFT"
        self._layout = _layout or _TableLayout(
            headings, rows, widths, size, leading, padding, bold_first
        )
        self._start, self._end = _span
        self.stripes, self.grid = stripes, grid

    def _ready(self, available: float) -> _TableLayout:
        layout = self._layout.ready(available)
        if self._end is None:
            self._end = len(layout.rows)
        return layout

    def wrap(self, availWidth, availHeight):
        layout = self._ready(availWidth)
        self.width = layout.width
        self.height = layout.head_height + layout.rows_height(self._start, self._end)
        return self.width, self.height

    def split(self, availWidth, availHeight):
        layout = self._ready(availWidth)
        room = availHeight - layout.head_height
        limit = layout.cumulative[self._start] + room
        fit = bisect.bisect_right(layout.cumulative, limit, self._start, self._end + 1) - 1
        if fit <= self._start:
            return []
        if fit >= self._end:
            return [self]
        return [self._piece(self._start, fit), self._piece(fit, self._end)]

    def _piece(self, start: int, end: int) -> DataTable:
        return DataTable(
            (), (), stripes=self.stripes, grid=self.grid, _layout=self._layout, _span=(start, end)
        )

    def draw(self):
        layout, canvas = self._layout, self.canv
        top = self.height
        widths = layout.widths
        xs = [0.0, *itertools.accumulate(widths)]
        # Row tops, from the heading down.
        tops = [top, top - layout.head_height]
        base = layout.cumulative[self._start]
        tops += [
            top - layout.head_height - (c - base)
            for c in layout.cumulative[self._start + 1 : self._end + 1]
        ]
        canvas.saveState()
        if layout.headings:
            canvas.setFillColor(SHADE)
            canvas.addLiteral(f"0 {tops[1]:.2f} {layout.width:.2f} {layout.head_height:.2f} re f")
        if self.stripes:
            stripes = [
                f"0 {tops[i + 2]:.2f} {layout.width:.2f} {tops[i + 1] - tops[i + 2]:.2f} re"
                for i in range(self._end - self._start)
                if (self._start + i) % 2
            ]
            if stripes:
                canvas.setFillColor(STRIPE)
                canvas.addLiteral("\n".join(stripes) + " f")
        if self.grid:
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.4)
            bottom = tops[-1]
            path = [f"0 {y:.2f} m {layout.width:.2f} {y:.2f} l" for y in tops]
            path += [f"{x:.2f} {top:.2f} m {x:.2f} {bottom:.2f} l" for x in xs]
            canvas.addLiteral("\n".join(path) + " S")

        text = _Text(canvas)
        first = layout.pad_top + layout.size * 0.93
        if layout.headings:
            text.set(BOLD, layout.size)
            self._cells(text, layout.head_lines, xs, top - first)
        label = BOLD if layout.bold_first else FONT
        for i, cells in enumerate(layout.lines[self._start : self._end]):
            text.set(label, layout.size)
            self._cells(text, cells[:1], xs, tops[i + 1] - first)
            text.set(FONT, layout.size)
            self._cells(text, cells[1:], xs[1:], tops[i + 1] - first)
        text.flush()
        canvas.restoreState()

    def _cells(self, text: _Text, cells, xs, baseline: float) -> None:
        leading, pad = self._layout.leading, self._layout.pad_side
        put = text.put
        for x, lines in zip(xs, cells, strict=False):  # xs has one more
            y = baseline
            for line in lines:
                put(x + pad, y, line)
                y -= leading


# --- long plain text -----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One paragraph of a TextBlock. Empty text is a half-line gap."""

    text: str = ""
    bold: bool = False
    size: float = 10.5
    indent: float = 0.0
    space_before: float = 0.0
    right: str = ""  # drawn right-aligned on the paragraph's first line


class TextBlock(Flowable):
    """Paragraphs of plain text (a letter), wrapped to the frame; `shrink` scales the whole
    block down to fit the space left (one page per letter), else it splits between lines."""

    LEADING = 1.3

    def __init__(self, lines: Sequence[Line], *, shrink: bool = False):
        super().__init__()
        self.hAlign = "LEFT"
        self.lines = list(lines)
        self.shrink = shrink
        self.scale = 1.0
        self._laid: tuple | None = None

    def _layout(self, width: float, scale: float):
        key = (width, scale)
        if self._laid and self._laid[0] == key:
            return self._laid[1]
        out, height = [], 0.0
        for line in self.lines:
            size = line.size * scale
            leading = size * self.LEADING
            height += line.space_before * scale
            if not line.text:
                height += leading / 2
                continue
            font = BOLD if line.bold else FONT
            room = width - line.indent
            if line.right:
                room -= text_width(line.right, font, size) + 4 * mm
            for i, piece in enumerate(wrap_text(line.text, room, font, size)):
                height += leading
                out.append((font, size, line.indent, height, piece, line.right if i == 0 else ""))
        self._laid = (key, (out, height))
        return out, height

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        _, height = self._layout(availWidth, 1.0)
        self.scale = 1.0
        if self.shrink and height > availHeight:
            for _ in range(12):
                self.scale *= max(0.5, min(0.97, availHeight / height))
                _, height = self._layout(availWidth, self.scale)
                if height <= availHeight or self.scale <= 0.3:
                    break
        self.height = height
        return self.width, height

    def split(self, availWidth, availHeight):
        if self.shrink:
            return []
        fitted, used = [], 0.0
        for line in self.lines:
            need = TextBlock([line])._layout(availWidth, 1.0)[1]
            if used + need > availHeight:
                break
            fitted.append(line)
            used += need
        if not fitted:
            return []
        return [TextBlock(fitted), TextBlock(self.lines[len(fitted) :])]

    def draw(self):
        placed, height = self._layout(self.width, self.scale)
        text = _Text(self.canv)
        for font, size, indent, bottom, piece, right in placed:
            y = height - bottom + size * (self.LEADING - 1) / 2 + 0.22 * size
            text.set(font, size)
            text.put(indent, y, piece)
            if right:
                text.put(self.width - text_width(right, font, size), y, right)
        text.flush()


# --- signatures --------------------------------------------------------------------------

SIGN_BY_HAND = (
    "Sign and date by hand, or sign in btecqa with your password: the signed version and its "
    "SHA-256 then print here."
)


def signed_block(signature, *, heading: str = "Signature") -> KeepTogether:
    """A signatures.Signature in print: signer, role, date and time, version, the SHA-256 of
    the signed content, and the statement they signed (kept together on one page)."""
    return KeepTogether(
        [
            para(heading, H2),
            para(
                f"Signed by {signature.signer_name}, {signature.role_label}, on "
                f"{uk_datetime(signature.signed_at)}: version {signature.version.number}."
            ),
            para(f"SHA-256 {signature.sha256}", MONO),
            para(f"Statement signed: \u201c{signature.statement}\u201d"),
        ]
    )


def unsigned_block(
    statement: str,
    *,
    signer: str = "Signed by",
    name: str = "",
    heading: str = "Signature",
    note: str = SIGN_BY_HAND,
) -> KeepTogether:
    """The statement and blank lines for a signature and date by hand."""
    return KeepTogether(
        [
            para(heading, H2),
            para(statement),
            Spacer(1, 7 * mm),
            para(f"{signer}: {name or '_' * 40}"),
            Spacer(1, 7 * mm),
            para(f"Signed {'_' * 45}     Date {'_' * 20}"),
            Spacer(1, 3 * mm),
            para(note, SMALL),
        ]
    )


# --- the page ----------------------------------------------------------------------------

_FURNITURE = "documents-furniture"
_PAGE_TOTAL = "documents-page-total"
_FOOT_SIZE = 7.5


class _PagedCanvas(Canvas):
    """Writes the page count once, at the end, into a form every page's footer shows."""

    pages_drawn = 1  # set by Document's page callback

    def save(self):
        pages = self.pages_drawn
        self.beginForm(_PAGE_TOTAL, lowery=-3, uppery=12)
        self.setFont(FONT, _FOOT_SIZE)
        self.setFillColor(MUTED)
        self.drawString(0, 0, str(pages))
        self.endForm()
        super().save()


@dataclass
class Document:
    """A4 pages with the house header and footer; `build(story)` returns the PDF bytes.

    centre: "Larchfield Vale Academy (91234)", printed top left. title: top right, and
    the PDF's title. footer: what the document is, bottom left, followed by the printed
    date and time. preview: every page says PREVIEW and that nothing was recorded.
    """

    title: str
    centre: str = ""
    footer: str = ""
    landscape: bool = False
    preview: bool = False
    preview_note: str = "PREVIEW: nothing has been sent or recorded"
    printed: dt.datetime | None = None
    author: str = "btecqa"
    margins: tuple[float, float, float, float] = field(
        default=(18 * mm, 14 * mm, 16 * mm, 14 * mm)  # top, right, bottom, left
    )

    @property
    def pagesize(self) -> tuple[float, float]:
        return _landscape(A4) if self.landscape else A4

    def frame_size(self) -> tuple[float, float]:
        """The width and height flowables get (less the frame's 6 pt padding each side)."""
        top, right, bottom, left = self.margins
        width, height = self.pagesize
        return width - left - right - 12, height - top - bottom - 12

    def build(self, story: Iterable) -> bytes:
        top, right, bottom, left = self.margins
        width, height = self.pagesize
        self.printed = self.printed or timezone.now()
        out = io.BytesIO()
        doc = BaseDocTemplate(
            out,
            pagesize=self.pagesize,
            topMargin=top,
            rightMargin=right,
            bottomMargin=bottom,
            leftMargin=left,
            title=self.title,
            subject=self.footer,
            author=self.author,
            creator="btecqa",
        )
        frame = Frame(left, bottom, width - left - right, height - top - bottom, id="body")
        doc.addPageTemplates([PageTemplate("page", [frame], onPage=self._on_page)])
        doc.build(list(story), canvasmaker=_PagedCanvas)
        return out.getvalue()

    def _on_page(self, canvas, doc) -> None:
        if not canvas.hasForm(_FURNITURE):
            self._define_furniture(canvas)
        canvas.doForm(_FURNITURE)
        canvas.pages_drawn = doc.page
        _, right, bottom, _ = self.margins
        x = self.pagesize[0] - right - text_width("Page 9999 of 9999", FONT, _FOOT_SIZE)
        label = f"Page {doc.page} of "
        canvas.saveState()
        canvas.setFont(FONT, _FOOT_SIZE)
        canvas.setFillColor(MUTED)
        canvas.drawString(x, bottom / 2, label)
        canvas.translate(x + text_width(label, FONT, _FOOT_SIZE), bottom / 2)
        canvas.doForm(_PAGE_TOTAL)
        canvas.restoreState()

    def _define_furniture(self, canvas) -> None:
        """What is the same on every page, drawn once: header, footer text, PREVIEW mark."""
        top, right, bottom, left = self.margins
        width, height = self.pagesize
        canvas.beginForm(_FURNITURE)
        if self.preview:
            canvas.saveState()
            canvas.setFillColor(PREVIEW_MARK)
            canvas.setFont(BOLD, 110)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, -40, "PREVIEW")
            canvas.restoreState()
        head_y = height - top + 6 * mm
        text = _Text(canvas)
        text.set(BOLD, 8, MUTED)
        text.put(left, head_y, self.centre)
        text.set(FONT, 8, MUTED)
        title_w = text_width(self.title, FONT, 8)
        text.put(width - right - title_w, head_y, self.title)
        if self.preview:
            text.set(BOLD, 9, PREVIEW_INK)
            note_w = text_width(self.preview_note, BOLD, 9)
            text.put((width - note_w) / 2, height - 8 * mm, self.preview_note)
        foot = " \u00b7 ".join(
            p for p in (self.footer, f"printed {uk_datetime(self.printed, ' ')}") if p
        )
        room = width - left - right - text_width("Page 9999 of 9999", FONT, _FOOT_SIZE) - 6 * mm
        lines = wrap_text(foot, room, FONT, _FOOT_SIZE)
        text.set(FONT, _FOOT_SIZE, MUTED)
        y = bottom / 2
        for line in lines[:2]:
            text.put(left, y, line)
            y -= _FOOT_SIZE * 1.2
        text.flush()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(left, head_y - 2 * mm, width - right, head_y - 2 * mm)
        canvas.endForm()
