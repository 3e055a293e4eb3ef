"""The Quality Nominee's yearly policy monitoring (seed 000, section 4): a registry of the
policy's clauses and, per clause, the evidence readers that the apps keeping the records
register from their own `monitoring_readers.py` (found by `PoliciesConfig.ready`).

    register_reader("000-3.1.6", "registrations.late", "Registrations sent late", fn)

`fn(ctx)` reads one centre's academic year and returns a `Reading`: counts (label,
number) and the exceptions found, each named. Counts that the governors' report already
keeps are taken from `ctx.measure(code)` (centres/measures.py, run once for the whole
report), never counted again. A reader with nothing to read returns `Reading(
evidenced=False)`. A clause *held* when its readers read something and found no
exception; *exceptions* when any found one; *not evidenced* when no reader read anything
(or none is registered for it). Every reader answers in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ImproperlyConfigured

MAX_LISTED = 25

HELD = "held"
EXCEPTIONS = "exceptions"
NOT_EVIDENCED = "not_evidenced"
STATUS_LABELS = {
    HELD: "Held",
    EXCEPTIONS: "Exceptions",
    NOT_EVIDENCED: "Not evidenced",
}


@dataclass(frozen=True)
class Clause:
    id: str
    text: str


# The clauses of seed 000 (the collaborative arrangements policy), in the policy's order,
# with the ids docs/POLICY_TRACE.md uses.
SEED_000 = (
    ("000-3.1.1", "Assignments fit for purpose, so learners produce evidence for assessment"),
    ("000-3.1.2", "Qualification approval held before approval under the arrangement"),
    ("000-3.1.3", "A lead centre coordinates quality assurance for each qualification"),
    ("000-3.1.4", "A Lead Internal Verifier registered for each qualification delivered"),
    ("000-3.1.5", "The Lead IV standardises every year and trains all assessors and IVs"),
    (
        "000-3.1.6",
        "Accurate registrations and claims (consortium code or sub-site); "
        "registration and certification procedures in place",
    ),
    ("000-3.1.7", "Access to all quality assurance documentation for our learners"),
    ("000-3.1.8", "Access to our learners' progress and achievement records"),
    ("000-3.1.9", "Part of the regular evaluation and review of the arrangement"),
    ("000-3.1.10", "Assessment evidence and QA documentation kept as Pearson requires"),
    ("000-3.1.11", "Take part in Pearson's Standards Verification (SV, LSV)"),
    ("000-3.1.12", "An Annual Centre (Quality) Declaration completed and submitted"),
    ("000-3.1.13", "The outcomes of Standards Verification applied, essential actions done"),
    ("000-3.1.14", "Pearson told of changes to the arrangement"),
    ("000-3.2.1", "The Quality Nominee oversees every element of assessment (IV included)"),
    ("000-3.2.2", "The exams officer registers, withdraws and enters for certification"),
    ("000-3.3", "A plan for each internal unit, reviewed by the Quality Nominee"),
    ("000-4", "This policy reviewed in time and monitored yearly by the Quality Nominee"),
)

_CLAUSES: dict[str, Clause] = {}


def register_clause(clause_id: str, text: str) -> str:
    clause = Clause(clause_id, text)
    if clause_id in _CLAUSES and _CLAUSES[clause_id] != clause:
        raise ImproperlyConfigured(f"Policy clause {clause_id} declared twice differently.")
    _CLAUSES[clause_id] = clause
    return clause_id


for _id, _text in SEED_000:
    register_clause(_id, _text)


def all_clauses() -> list[Clause]:
    return list(_CLAUSES.values())


def get_clause(clause_id: str) -> Clause:
    try:
        return _CLAUSES[clause_id]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown policy clause {clause_id!r}.") from None


# --- readers -----------------------------------------------------------------------------


@dataclass
class Reading:
    """What one reader found: counts as (label, number), and each exception named."""

    counts: list[tuple[str, int]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    evidenced: bool = True


@dataclass(frozen=True)
class Reader:
    clause: str
    code: str
    title: str
    function: Callable
    order: int = 100


_READERS: dict[str, Reader] = {}


def register_reader(
    clause: str, code: str, title: str, function: Callable, *, order: int = 100,
    replace: bool = False,
) -> str:  # fmt: skip
    """Add an evidence reader for a clause (or, with replace=True, a better one)."""
    get_clause(clause)
    reader = Reader(clause, code, title, function, order)
    existing = _READERS.get(code)
    if existing and existing != reader and not replace:
        raise ImproperlyConfigured(f"Monitoring reader {code} declared twice: pass replace=True.")
    _READERS[code] = reader
    return code


def unregister_reader(code: str) -> None:
    """For tests that register a reader of their own."""
    _READERS.pop(code, None)


def readers_for(clause: str) -> list[Reader]:
    return sorted(
        (r for r in _READERS.values() if r.clause == clause), key=lambda r: (r.order, r.code)
    )


class MonitoringContext:
    """One centre and academic year, with the reads several readers share (each once)."""

    def __init__(self, centre, academic_year: str):
        self.centre = centre
        self.academic_year = academic_year

    @cached_property
    def measures(self) -> dict[str, dict]:
        from centres.measures import run_measures

        return run_measures([self.centre.pk], [self.academic_year])

    def measure(self, code: str) -> int:
        """The governors' report's count for this centre and year (0 when none)."""
        if code not in self.measures:
            raise ImproperlyConfigured(f"No report measure {code!r} is registered.")
        return int(self.measures[code].get((self.centre.pk, self.academic_year), 0) or 0)

    @cached_property
    def year_start(self):
        from centres.measures import year_start

        return year_start(self.academic_year)

    @cached_property
    def year_end(self):
        from centres.measures import year_end

        return year_end(self.academic_year)

    @cached_property
    def check_context(self):
        """The Annual Quality Declaration's shared reads (arrangements, Lead IVs), once."""
        from declarations.checks import CheckContext

        return CheckContext(self.centre, self.academic_year)


@dataclass
class ClauseResult:
    clause: Clause
    status: str
    evidence: list[str]
    exceptions: list[str]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"… and {len(lines) - MAX_LISTED} more"]


def read_clauses(centre, academic_year: str) -> list[ClauseResult]:
    """Every clause with what its readers found in the records today."""
    ctx = MonitoringContext(centre, academic_year)
    out = []
    for clause in all_clauses():
        evidence: list[str] = []
        exceptions: list[str] = []
        evidenced = False
        for reader in readers_for(clause.id):
            reading = reader.function(ctx)
            if not reading.evidenced:
                continue
            evidenced = True
            counts = ", ".join(f"{label} {n}" for label, n in reading.counts)
            evidence.append(f"{reader.title}: {counts}" if counts else reader.title)
            exceptions.extend(reading.exceptions)
        if exceptions:
            status = EXCEPTIONS
        elif evidenced:
            status = HELD
        else:
            status = NOT_EVIDENCED
        out.append(ClauseResult(clause, status, evidence, capped(exceptions)))
    return out


def person(user) -> str:
    return (user.get_full_name() or user.username) if user else "nobody"
