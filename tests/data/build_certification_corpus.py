"""Writes the certification import corpus: `python tests/data/build_certification_corpus.py`.

bad_results/ and bad_certificates/ hold files Pearson's results file and certificates
imports must refuse (each row, column and reason asserted by
tests/test_certification_bad_input.py); good_results/ and good_certificates/ hold odd but
good files (a BOM, blank rows in a workbook, a Near Pass as Pearson gives it) that must
import. Identifiers: ULNs pass the DfE check digit and are those of the test's learners at
centre 40001 (ULN(1) to ULN(3)); ULN(9) is nobody's.
"""

import csv
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NATIONAL, TECH_AWARD = "601/7159/5", "603/7055/5"


def uln(n: int) -> str:
    """tests.factories.make_uln(8000 + n), written out so this script needs no Django."""
    m = 8000 + n
    while True:
        prefix = f"{400000000 + m:09d}"
        r = sum(int(prefix[i]) * (10 - i) for i in range(9)) % 11
        if r:
            return prefix + str(10 - r)
        m += 10_000_000


def csv_bytes(rows, bom=False) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        if row is None:
            ws.append([])
        else:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return out.getvalue()


R = ["ULN", "Candidate No", "Surname", "Forenames", "Qualification", "Unit", "Series", "Grade"]
R_POINTS = [*R, "Points", "Mark"]


def results() -> dict[str, bytes]:
    a, b, t = uln(1), uln(2), uln(3)
    return {
        "empty.csv": b"",
        "header_only.csv": csv_bytes([R]),
        "missing_columns.csv": csv_bytes([["ULN", "Surname", "Unit"], [a, "OKAFOR", "2"]]),
        "bad_grade.csv": csv_bytes(
            [R, [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "May/June 2027", "Dist"]]
        ),
        "grade_of_another_scheme.csv": csv_bytes(
            [
                R,
                [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "May/June 2027", "L2D"],
                [t, "", "TANAKA", "TOMO", TECH_AWARD, "3", "May/June 2027", "D"],
                [t, "", "TANAKA", "TOMO", TECH_AWARD, "3", "January 2027", "Near Pass"],
            ]
        ),
        "duplicate_row.csv": csv_bytes(
            [
                R,
                [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "May/June 2027", "D"],
                [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "may/jun 2027", "M"],
            ]
        ),
        "uln_not_on_roll.csv": csv_bytes(
            [R, [uln(9), "", "NOBODY", "NOBODY", NATIONAL, "2", "May/June 2027", "D"]]
        ),
        "bad_uln.csv": csv_bytes(
            [R, ["1234567890", "", "OKAFOR", "AMARA", NATIONAL, "2", "May/June 2027", "D"]]
        ),
        "internal_unit.csv": csv_bytes(
            [R, [a, "", "OKAFOR", "AMARA", NATIONAL, "1", "May/June 2027", "N"]]
        ),
        "series_without_year.csv": csv_bytes(
            [R, [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "Summer", "D"]]
        ),
        "bad_points_and_mark.csv": csv_bytes(
            [R_POINTS, [b, "", "O'NEILL", "BEN", NATIONAL, "2", "May/June 2027", "P", "abc", "-3"]]
        ),
        "bom_bad_grade.csv": csv_bytes(
            [R, [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "May/June 2027", "X"]], bom=True
        ),
        "blank_rows_bad.xlsx": xlsx_bytes(
            [
                None,
                R,
                None,
                [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "May/June 2027", "D"],
                None,
                None,
                [b, "", "O'NEILL", "BEN", NATIONAL, "3", "January 2027", "Q"],
                None,
            ]
        ),
        "a_pdf.pdf": PDF,
        "a_pdf_called.csv": PDF,
        "a_document.docx": docx_bytes(),
    }


def good_results() -> dict[str, bytes]:
    a, b = uln(1), uln(2)
    return {
        "bom.csv": csv_bytes(
            [R, [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "May/June 2027", "D"]], bom=True
        ),
        "blank_rows.xlsx": xlsx_bytes(
            [
                None,
                None,
                R,
                None,
                [int(a), "", "OKAFOR", "AMARA", NATIONAL, 2, "May/June 2027", "D"],
                [None] * 8,
                ["", "", "", "", "", "", "", ""],
                [int(b), "", "O'NEILL", "BEN", NATIONAL, 3, "January 2027", "M"],
                None,
                None,
            ]
        ),
        "near_pass.csv": csv_bytes(
            [
                R,
                [a, "", "OKAFOR", "AMARA", NATIONAL, "2", "May/June 2027", "N"],
                [b, "", "O'NEILL", "BEN", NATIONAL, "3", "January 2027", "Near Pass"],
            ]
        ),
    }


C = [
    "Certificate number",
    "ULN",
    "Surname",
    "Forenames",
    "Date of birth",
    "Qualification number",
    "Award grade",
    "Units",
]


def certificates() -> dict[str, bytes]:
    a = uln(1)

    def row(number, **kw):
        v = {
            "uln": a,
            "surname": "OKAFOR",
            "forenames": "AMARA",
            "dob": "17/05/2009",
            "qn": NATIONAL,
            "grade": "M",
            "units": "1 M; 2 M; 3 P",
        } | kw
        return [number, v["uln"], v["surname"], v["forenames"], v["dob"], v["qn"], v["grade"],
                v["units"]]  # fmt: skip

    return {
        "empty.csv": b"",
        "header_only.csv": csv_bytes([C]),
        "missing_columns.csv": csv_bytes(
            [["Certificate number", "Surname", "Award grade"], ["C1", "OKAFOR", "M"]]
        ),
        "bad_dates.csv": csv_bytes(
            [
                C,
                row("C101", dob="2009-13-45"),
                row("C102", dob="17/05/09"),
                row("C103", dob="31/02/2009"),
                row("C104", dob="17th May 2009"),
            ]
        ),
        "bad_award_grade.csv": csv_bytes([C, row("C111", grade="Q"), row("C112", grade="N")]),
        "bad_unit_grade.csv": csv_bytes([C, row("C121", units="1 M; 2 X")]),
        "unit_listed_twice.csv": csv_bytes([C, row("C131", units="1 M; 1 D")]),
        "unreadable_units.csv": csv_bytes([C, row("C141", units="1 M; two")]),
        "no_learner_identifier.csv": csv_bytes([C, row("C151", uln="")]),
        "no_grade.csv": csv_bytes([C, row("C161", grade="", units="")]),
        "duplicate_row.csv": csv_bytes([C, row("C171"), row("c171")]),
        "bad_uln.csv": csv_bytes([C, row("C181", uln="1234567890")]),
        "bad_qualification.csv": csv_bytes([C, row("C191", qn="60171")]),
        "bom_bad_grade.csv": csv_bytes([C, row("C201", grade="Q")], bom=True),
        "blank_rows_bad.xlsx": xlsx_bytes(
            [None, C, None, row("C211"), None, row("C212", dob="31/02/2009"), None]
        ),
        "a_pdf.pdf": PDF,
    }


def good_certificates() -> dict[str, bytes]:
    def row(number, n=1, surname="OKAFOR", forenames="AMARA"):
        return [number, uln(n), surname, forenames, "17/05/2009", NATIONAL, "M", "1 M; 2 N; 3 P"]

    return {
        "bom.csv": csv_bytes([C, row("C301")], bom=True),
        "blank_rows.xlsx": xlsx_bytes(
            [None, None, C, None, row("C311"), [None] * 8, row("C312", 2, "O'NEILL", "BEN")]
        ),
        "uln_not_on_roll.csv": csv_bytes([C, row("C321", 9, "NOBODY", "NOBODY")]),
    }


def main():
    for folder, files in (
        ("bad_results", results()),
        ("good_results", good_results()),
        ("bad_certificates", certificates()),
        ("good_certificates", good_certificates()),
    ):
        (HERE / folder).mkdir(exist_ok=True)
        for name, data in files.items():
            (HERE / folder / name).write_bytes(data)


if __name__ == "__main__":
    main()
