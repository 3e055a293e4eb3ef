"""Reading back the text of a PDF that reportlab wrote (pypdf is not a dependency).

Each content stream is decoded (ASCII85 + Flate) and the strings drawn with Tj collected.
`pdf_page_strings` keeps each page apart, with the forms it draws (the page furniture)
added to the page that draws them, so a test can ask what is on page 3.
"""

import base64
import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj\b(.*?)endobj", re.S)
_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_DRAWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj|/(FormXob\.[^\s/]+)\s+Do")


def _unescape(raw: bytes) -> str:
    out, i = bytearray(), 0
    simple = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while i < len(raw):
        ch = raw[i : i + 1]
        if ch != b"\\":
            out += ch
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            out += simple.get(nxt, nxt)
            i += 2
    return out.decode("cp1252")


def _stream(body: bytes) -> bytes | None:
    head, found, rest = body.partition(b"stream")
    if not found:
        return None
    data = rest.split(b"endstream")[0].strip(b"\r\n")
    if b"ASCII85Decode" in head:
        data = base64.a85decode(data.strip().removesuffix(b"~>"))
    if b"FlateDecode" in head:
        data = zlib.decompress(data)
    return data


def _strings(content: bytes) -> list[str]:
    return [_unescape(m.group(1)) for m in _STRING.finditer(content)]


def pdf_strings(data: bytes) -> list[str]:
    """Every string drawn in the PDF's streams, in the order they are stored."""
    assert data.startswith(b"%PDF-")
    strings = []
    for _, body in _OBJECT.findall(data):
        content = _stream(body)
        if content is not None:
            strings += _strings(content)
    return strings


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(pdf_strings(data)))


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", data))


def pdf_page_strings(data: bytes) -> list[list[str]]:
    """The strings each page draws, page by page: its own content and the forms it uses."""
    objects = {int(n): body for n, body in _OBJECT.findall(data)}
    forms = {}  # resource name -> strings
    for body in objects.values():
        for name, ref in re.findall(rb"/(FormXob\.[^\s/<>\[\]]+) (\d+) 0 R", body):
            content = _stream(objects[int(ref)])
            forms[name] = _strings(content) if content is not None else []
    pages = []
    kids = next(
        re.search(rb"/Kids \[([^\]]*)\]", body).group(1)
        for body in objects.values()
        if re.search(rb"/Type /Pages\b", body)
    )
    for ref in re.findall(rb"(\d+) 0 R", kids):
        page = objects[int(ref)]
        content = _stream(objects[int(re.search(rb"/Contents (\d+) 0 R", page).group(1))])
        strings = []
        for drawn in _DRAWN.finditer(content):
            text, form = drawn.groups()
            strings += forms.get(form, []) if form else [_unescape(text)]
        pages.append(strings)
    return pages
