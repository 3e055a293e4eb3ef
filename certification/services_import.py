"""A certificates file (CSV or XLSX), imported through the tabular framework.

One row per certificate: Certificate number, ULN and/or Registration number, Surname,
Forenames, Date of birth, Qualification number, Award grade and Units ("1 D; 2 M; 3 P":
each unit number with its grade). Every refusal names the row, the column and the reason
(a certificate number on two rows or recorded already, a unit list that cannot be read);
a file with any problem writes nothing. A clean file becomes one batch, written and checked
against the submitted claims in one transaction (`services.record_certificates`), then the
claim lines with no certificate are looked for (`services.check_missing`).
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

import audit
from claims.services_claims import AWARD_CODES, UNIT_CODES
from learners import cells as learner_cells
from tabular.cells import Check, Text
from tabular.columns import Field, Layout
from tabular.pipeline import RowsPreview, RowsSink, read_into, sha256
from tabular.problems import ImportRefused, Problem
from tabular.rowlog import Row
from tabular.services import confirm_kept, discard_kept, keep_preview

from . import events, services
from .models import CertificateBatch, CertificateImport

NEW, ERROR = "change", "error"


def _qualification(text, ctx):
    digits = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    if len(digits) != 8:
        return None, f"{text} is not a qualification number (e.g. 601/7159/5)"
    return f"{digits[:3]}/{digits[3:7]}/{digits[7]}", None


def _certificate_number(text, ctx):
    value = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9/-]{1,30}", value):
        return None, f"{text} is not a certificate number (letters and digits, up to 30)"
    return value.upper(), None


# Award grades as a certificate gives them: the Nationals' P … D*D*D* (claims' codes), a
# Tech Award's L1P … L2D*, a First's L1 (domain.md 2.1-2.3); unit grades U, N, P, M, D and
# the Level 1/2 ones (2.4: P1 and M1 as Pearson reports them). No N at award level.
AWARD_GRADES = frozenset(AWARD_CODES) | {
    "L1", "L1P", "L1M", "L1D", "L2P", "L2M", "L2D", "L2D*"
}  # fmt: skip
UNIT_GRADES = frozenset(UNIT_CODES) | {
    "P1", "M1", "L1", "L1P", "L1M", "L1D", "L2P", "L2M", "L2D"
}  # fmt: skip


def _award_grade(text, ctx):
    value = re.sub(r"\s+", "", text).upper()
    if value not in AWARD_GRADES:
        return None, (
            f"{text} is not an award grade (P to D*D*D* for a National, L1P to L2D* for a Tech "
            "Award or First)"
        )
    return value, None


def _units(text, ctx):
    pairs = []
    seen = set()
    for part in re.split(r"[;,\n]+", text):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(
            r"(?:unit\s*)?([A-Za-z0-9]{1,10})\s*[:= ]\s*([A-Za-z0-9*]{1,6})", part, re.I
        )
        if not m:
            return None, (
                f"cannot read the unit {part!r}: give each unit number with its grade, "
                "e.g. 1 D; 2 M; 3 P"
            )
        number, grade = m.group(1), m.group(2).upper()
        if grade not in UNIT_GRADES:
            return None, (
                f"unit {number}: {m.group(2)} is not a unit grade (U, N, P, M, D, or L1P to L2D "
                "for a Tech Award or First)"
            )
        if number.casefold() in seen:
            return None, f"unit {number} is listed twice"
        seen.add(number.casefold())
        pairs.append([number, grade])
    return pairs, None


LAYOUT = Layout(
    [
        Field(
            "certificate_number",
            "certificate number",
            ("Certificate number", "Certificate no", "Cert no", "Certificate"),
            Check(_certificate_number),
            required=True,
        ),
        Field("uln", "ULN", ("ULN", "Unique Learner Number"), learner_cells.ULN),
        Field(
            "registration_number",
            "registration number",
            ("Registration number", "Reg no", "Learner registration number"),
            Text(20, upper=True),
        ),
        Field(
            "surname", "surname", ("Surname", "Last name", "Family name"), Text(100), required=True
        ),
        Field("forenames", "forenames", ("Forenames", "Forename", "First name"), Text(100)),
        Field(
            "date_of_birth",
            "date of birth",
            ("Date of birth", "DOB", "Birth date"),
            learner_cells.DATE_OF_BIRTH,
        ),
        Field(
            "qualification_number",
            "qualification number",
            ("Qualification number", "QN", "Qualification"),
            Check(_qualification),
            required=True,
        ),
        Field(
            "award_grade",
            "award grade",
            ("Award grade", "Overall grade", "Grade"),
            Check(_award_grade),
        ),
        Field("units", "units", ("Units", "Unit grades"), Check(_units)),
    ],
    examples="Certificate number, ULN, Surname, Qualification number",
    any_of={"learner identifier": ("uln", "registration_number")},
    what="certificates file",
)


class CertRow(Row):
    __slots__ = ("values",)

    def __init__(self, row, effect=ERROR, vals=()):
        super().__init__(row, effect, vals)
        self.values = {}


class CertificatesPreview(RowsPreview):
    """A tabular RowsPreview; `changes` counts the certificates that would be written."""


_Sink = RowsSink


class _Planner:
    """A certificate number on two rows, or recorded already at the centre, is refused."""

    def __init__(self, centre, header):
        self.centre, self.header, self.seen = centre, header, {}

    def _column(self, name):
        return self.header.names.get(name, name)

    def plan(self, chunk):
        numbers = set()
        for r in chunk:
            v = {k: val for k, val in LAYOUT.as_dict(r.vals).items() if val not in (None, "")}
            r.values = v
            if v.get("certificate_number"):
                numbers.add(v["certificate_number"])
        known = services.recorded_numbers(self.centre, numbers)
        for r in chunk:
            if r.errors:
                continue
            if not r.values.get("uln") and not r.values.get("registration_number"):
                r.add_error(
                    Problem(
                        "no learner identifier: give the ULN or the registration number",
                        r.row,
                        self._column("uln"),
                    )
                )
                continue
            if not r.values.get("award_grade") and not r.values.get("units"):
                r.add_error(
                    Problem(
                        "no grade: a certificate gives its award grade or its units "
                        "(e.g. 1 D; 2 M)",
                        r.row,
                        self._column("award_grade"),
                    )
                )
                continue
            number = r.values["certificate_number"]
            column = self._column("certificate_number")
            if number in self.seen:
                r.add_error(
                    Problem(
                        f"certificate {number} is also on row {self.seen[number]}",
                        r.row,
                        column,
                        number,
                    )
                )
                continue
            if number in known:
                r.add_error(
                    Problem(
                        f"certificate {number} is recorded already at centre {self.centre.number}",
                        r.row,
                        column,
                        number,
                    )
                )
                continue
            self.seen[number] = r.row
            r.effect = NEW


def read_certificates_file(data, centre, *, file_name: str = "", kept=None) -> CertificatesPreview:
    """Read and check every row; nothing is written."""
    preview = CertificatesPreview(file_name=file_name)
    if kept is None:
        preview.file_sha256 = sha256(data)
    read_into(
        data,
        preview,
        _Sink(preview),
        layout=LAYOUT,
        make_planner=lambda header: _Planner(centre, header),
        today=timezone.localdate(),
        row_class=CertRow,
        kept=kept,
    )
    preview.changes = sum(1 for r in preview.rows if r.effect == NEW)
    return preview


def write_certificates(preview, centre, *, by, received_on, file_name="") -> CertificateBatch:
    """A clean preview becomes one batch, written and checked, in one transaction."""
    if not preview.ok:
        raise ImportRefused(preview.problems)
    with transaction.atomic():
        batch = services.new_batch(
            centre,
            received_on=received_on,
            by=by,
            how=CertificateBatch.How.IMPORTED,
            file_name=file_name,
        )
        services.record_certificates(batch, [r.values for r in preview.rows], by=by)
        services.check_missing(batch, by=by)
    return batch


def preview_upload(uploaded_file, centre, *, by, received_on):
    return keep_preview(
        CertificateImport(centre=centre, received_on=received_on),
        uploaded_file,
        lambda data, name: read_certificates_file(data, centre, file_name=name),
        by=by,
        todo=events.CONFIRM_IMPORT,
    )


def confirm_import(record: CertificateImport, *, by) -> CertificateBatch:
    def write(preview):
        batch = write_certificates(
            preview,
            record.centre,
            by=by,
            received_on=record.received_on,
            file_name=record.file_name,
        )
        CertificateImport.objects.filter(pk=record.pk).update(batch=batch)
        audit.record(
            by,
            events.IMPORT_COMMITTED,
            record,
            centre=record.centre_id,
            after={"file": record.file_name, "certificates": len(preview.rows)},
        )
        return batch

    return confirm_kept(
        record,
        lambda fh, kind: read_certificates_file(
            fh, record.centre, file_name=record.file_name, kept=kind
        ),
        write,
        by=by,
        todo=events.CONFIRM_IMPORT,
    )


def discard_import(record: CertificateImport, *, by) -> None:
    """Let a kept preview go unconfirmed: it can no longer be written; its to-do closes."""
    discard_kept(record, by=by, event=events.IMPORT_DISCARDED, todo=events.CONFIRM_IMPORT)
