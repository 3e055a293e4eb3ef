"""Writes the small files of the import corpus: `python tests/import_corpus/build.py`.

The files are kept in the repository so anyone can open them in Excel; the zip bomb and the
oversized file are made by the tests at run time instead (tests/test_learner_import.py).
Identifiers: ULNs pass the DfE check digit, UCIs are for centre 40001 (the tests' own centre).
"""

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

BASIC = ["Surname", "Forename", "DOB", "Gender"]


def csv_text(rows, delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def xlsx(rows, formulas=()):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Students"
    for row in rows:
        ws.append(row)
    for ref, formula in formulas:
        ws[ref] = formula
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def zip_not_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<document/>")
    return out.getvalue()


FILES = {
    # --- good files, as MIS exports them
    "sims_learners.csv": csv_text(
        [
            [
                "Adno",
                "Legal Surname",
                "Legal Forename",
                "Preferred Forename",
                "Gender",
                "DOB",
                "UPN",
                "ULN",
                "UCI",
                "Candidate No",
                "Reg Group",
            ],
            [
                "A1001",
                "Smith",
                "Joanne",
                "Jo",
                "F",
                "17/05/2009",
                "A12345678901B",
                "1000000019",
                "400010260001C",
                "0001",
                "12A",
            ],
            [
                "A1002",
                "O'Brien",
                "Sean",
                "",
                "M",
                "03/11/2008",
                "A12345678902C",
                "1000000027",
                "",
                "0002",
                "12B",
            ],
            [
                "A1003",
                "Khan",
                "Aisha",
                "",
                "Female",
                "1/9/2009",
                "",
                "1000000035",
                "",
                "0003",
                "12A",
            ],
        ]
    ).encode("utf-8"),
    "arbor_learners_bom.csv": b"\xef\xbb\xbf"
    + csv_text(
        [
            [
                "Legal First Name",
                "Legal Last Name",
                "First Name",
                "Date of Birth",
                "Gender",
                "MIS ID",
                "Unique Learner Number",
                "Candidate Number",
                "Email Address",
            ],
            [
                "Zoë",
                "Ångström",
                "Zo",
                "2009-02-28",
                "Female",
                "ARB-1",
                "1000000043",
                "0011",
                "zoe@example.org",
            ],
            ["Tomás", "Ní Bhriain", "", "2008-12-01", "Male", "ARB-2", "1000000051", "0012", ""],
        ]
    ).encode("utf-8"),
    "bromcom_learners.xlsx": xlsx(
        [
            ["Bromcom \u2013 Student List"],
            ["Exported 01/09/2026 07:00"],
            [],
            [
                "Admission No",
                "Legal Surname",
                "Legal Forename",
                "Preferred Name",
                "Sex",
                "Birth Date",
                "ULN",
                "Cand No",
                "E-mail",
                "House",
            ],
            [
                "B501",
                "Nowak",
                "Kasia",
                "",
                "F",
                dt.datetime(2009, 3, 14),
                1000000078,
                42,
                "kasia@example.org",
                "Red",
            ],
            [
                "B502",
                "Adeyemi",
                "Tunde",
                "Tee",
                "M",
                dt.datetime(2008, 10, 2),
                1000000086,
                43,
                "",
                "Blue",
            ],
        ]
    ),
    "windows1252.csv": csv_text(
        [
            BASIC + ["Adno"],
            ["Lefèvre", "Renée", "12/03/2009", "F", "W1"],
            ["Müller", "Jürgen", "05/06/2008", "M", "W2"],
        ]
    ).encode("cp1252"),
    "excel_serial_dates.csv": csv_text(
        [
            BASIC + ["Adno"],
            ["Serial", "Ann", "39448", "F", "S1"],  # 01/01/2008
            ["Serial", "Bob", "39814.0", "M", "S2"],  # 01/01/2009
        ]
    ).encode("utf-8"),
    "semicolons.csv": csv_text(
        [BASIC + ["Adno"], ["Dupont", "Marie", "02/02/2009", "F", "SC1"]], delimiter=";"
    ).encode("utf-8"),
    # --- bad files
    "missing_columns.csv": csv_text(
        [["Surname", "Forename", "Year"], ["Smith", "Jo", "12"]]
    ).encode(),
    "wrong_columns.csv": csv_text(
        [["Pupil", "Born", "Tutor"], ["Smith Jo", "2009", "AB"]]
    ).encode(),
    "bad_ulns.csv": csv_text(
        [
            BASIC + ["ULN"],
            ["One", "Ann", "01/01/2009", "F", "123"],
            ["Two", "Bea", "01/01/2009", "F", "1000000042"],
            ["Three", "Cal", "01/01/2009", "M", "1000000063"],
            ["Four", "Dee", "01/01/2009", "F", "9999999999"],
            ["Five", "Eve", "01/01/2009", "F", "ABCDEFGHIJ"],
        ]
    ).encode(),
    "bad_ucis.csv": csv_text(
        [
            BASIC + ["UCI"],
            ["One", "Ann", "01/01/2009", "F", "40001026001"],
            ["Two", "Bea", "01/01/2009", "F", "400010260001B"],
            ["Three", "Cal", "01/01/2009", "M", "40001B260001C"],
            ["Four", "Dee", "01/01/2009", "F", "400010260000A"],
        ]
    ).encode(),
    "impossible_dates.csv": csv_text(
        [
            BASIC,
            ["One", "Ann", "31/02/2009", "F"],
            ["Two", "Bea", "29/02/2010", "F"],
            ["Three", "Cal", "05/17/2009", "M"],
            ["Four", "Dee", "01/01/2099", "F"],
            ["Five", "Eve", "17/05/09", "F"],
            ["Six", "Fay", "soon", "F"],
            ["Seven", "Gus", "01/01/1900", "M"],
        ]
    ).encode(),
    "duplicates_in_file.csv": csv_text(
        [
            BASIC + ["Adno", "ULN", "Candidate No"],
            ["One", "Ann", "01/01/2009", "F", "D1", "1000000094", "0101"],
            ["Two", "Bea", "01/01/2009", "F", "D2", "1000000108", "0102"],
            ["Three", "Cal", "01/01/2009", "M", "D3", "1000000094", "0103"],
            ["Four", "Dee", "01/01/2009", "F", "D4", "1000000116", "0102"],
            ["Five", "Eve", "01/01/2009", "F", "D1", "", ""],
        ]
    ).encode(),
    "duplicates_against_db.csv": csv_text(
        [
            BASIC + ["Adno", "ULN", "UCI", "Candidate No"],
            ["Clash", "Ann", "01/01/2009", "F", "N1", "1000000043", "", ""],
            ["Clash", "Bea", "01/01/2009", "F", "N2", "", "400010260002H", ""],
            ["Clash", "Cal", "01/01/2009", "M", "N3", "", "", "0007"],
            ["Clash", "Dee", "01/01/2009", "F", "N4", "1000000051", "", ""],
        ]
    ).encode(),
    "bad_values.csv": csv_text(
        [
            BASIC + ["Email", "Candidate No"],
            ["One", "Ann", "01/01/2009", "X", "", ""],
            ["Two", "Bea", "01/01/2009", "F", "not-an-email", ""],
            ["Three", "Cal", "01/01/2009", "M", "", "12345"],
            ["Four", "", "01/01/2009", "F", "", ""],
        ]
    ).encode(),
    "header_only.csv": csv_text([BASIC]).encode(),
    "empty.csv": b"",
    "blank_lines.csv": b"\r\n\r\n  \r\n",
    "picture.csv": PNG,
    "document.csv": PDF,
    "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    "archive.xlsx": zip_not_workbook(),
    "formulas.xlsx": xlsx(
        [
            BASIC + ["Adno"],
            ["Smith", "Jo", dt.datetime(2009, 5, 17), "F", "F1"],
            ["Jones", "Al", dt.datetime(2009, 6, 1), "M", "F2"],
        ],
        formulas=[("C3", "=DATE(2009,6,1)"), ("B2", '=UPPER("jo")')],
    ),
}


def build(directory: Path = HERE) -> None:
    for name, data in FILES.items():
        (directory / name).write_bytes(data)


if __name__ == "__main__":
    build()
    print(f"wrote {len(FILES)} files to {HERE}")
