"""Invented demo data: two schools in a consortium, a user per role, programmes and learners.

Every name here is made up. Running it twice changes nothing: each object is
found by its natural key before it is created, and events go on the audit
trail only when something is created.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import RoleAssignment
from accounts.roles import Role
from centres import services as arrangements
from centres.models import Centre, CollaborativeArrangement, QualificationApproval
from learners.models import Cohort, Learner, TeachingGroup, _shift
from learners.validators import uci_check_letter
from qualifications.catalogue import load_shipped_qualifications
from qualifications.models import Qualification
from registrations.calendar import academic_year_for
from registrations.models import RegistrationRound

from . import (
    demo_certificates,
    demo_claims,
    demo_decisions,
    demo_declarations,
    demo_grants,
    demo_iv,
    demo_plans,
    demo_policies,
    demo_readiness,
    demo_retention,
    demo_sampling,
    demo_sv,
    demo_tracking,
    demo_verification,
)
from .demo_registrations import DemoClock, tell_year

# Each later area tells its part of the demo year in its own module (plans before decisions).
DEMO_AREAS = (
    demo_verification,
    demo_plans,
    demo_decisions,
    demo_iv,
    demo_sampling,
    demo_tracking,
    demo_sv,
    demo_policies,
    demo_grants,
    demo_declarations,
    demo_readiness,
    demo_claims,
    demo_certificates,
    demo_retention,
)

DEMO_PASSWORD = "btecqa-demo-2026"

LEAD = ("91234", "Larchfield Vale Academy")
PARTNER = ("91567", "Kestrel Moor School")

# username, first, last, roles at the lead centre, roles at the partner centre
USERS = [
    ("eo", "Priya", "Okonjo", [Role.EXAMS_OFFICER], []),
    ("qn", "Tomas", "Whitacre", [Role.QUALITY_NOMINEE], []),
    ("pl", "Hannah", "Brightwell", [Role.PROGRAMME_LEADER], []),
    ("liv", "Daniel", "Osterby", [Role.LEAD_IV, Role.ASSESSOR_IV], []),
    ("assessor", "Grace", "Lindholm", [Role.ASSESSOR_IV], [Role.ASSESSOR_IV]),
    ("head", "Martin", "Feldane", [Role.HEAD_OF_CENTRE], []),
    ("governor", "Ruth", "Amberley", [Role.GOVERNOR], []),
    ("admin", "Sam", "Carrow", [Role.CENTRE_ADMIN], []),
    ("partner_eo", "Ifeoma", "Hartwell", [], [Role.EXAMS_OFFICER]),
    ("partner_qn", "Owen", "Pellow", [], [Role.QUALITY_NOMINEE]),
    ("partner_pl", "Yusuf", "Marchbank", [], [Role.PROGRAMME_LEADER]),
]

# From the shipped catalogue (qualifications/catalogue_data/): Business and Applied Science.
DEMO_QUALIFICATIONS = ["601/7159/5", "601/7436/5"]

# 23 first names and 20 last names: coprime, so learner n's name (FIRST[n % 23],
# LAST[n % 20]) is different for every n below 460, and next-door learners share neither.
FIRST_NAMES = [
    "Amara", "Ben", "Chloe", "Dev", "Ella", "Finn", "Gina", "Harun", "Isla", "Jonah", "Kira",
    "Leo", "Maya", "Nico", "Orla", "Pavel", "Rhea", "Sami", "Tess", "Umar", "Vera", "Wes",
    "Zara",
]  # fmt: skip
LAST_NAMES = [
    "Ashdown", "Brennock", "Calloway", "Dunmore", "Everleigh", "Fairholme", "Garside",
    "Holloway", "Ingleby", "Jessop", "Kittering", "Langridge", "Moorcroft", "Netherby",
    "Oakhurst", "Penrose", "Radwell", "Sallowby", "Thornage", "Wrenfield",
]  # fmt: skip
UNIQUE_NAMES = len(FIRST_NAMES) * len(LAST_NAMES)


def demo_name(n: int) -> tuple[str, str]:
    """Learner n's invented (first, last) name: no two n below UNIQUE_NAMES share one."""
    if n >= UNIQUE_NAMES:
        raise ValueError(f"The demo has names for {UNIQUE_NAMES} learners, not {n + 1}.")
    return FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n % len(LAST_NAMES)]


def demo_date_of_birth(n: int, start_year: int) -> dt.date:
    """In the school year of a Year 12 starting in September of start_year."""
    return dt.date(start_year - 17, 9, 1) + dt.timedelta(days=(n * 37) % 365)


def demo_uln(n: int) -> str:
    """A ULN with a valid check digit, invented from a counter."""
    base = 100_000_000 + n * 7919
    while True:
        digits = str(base)[:9]
        r = sum(int(digits[i]) * (10 - i) for i in range(9)) % 11
        if r != 0:
            return digits + str(10 - r)
        base += 1


def demo_uci(centre_number: str, year2: str, candidate: str) -> str:
    first12 = f"{centre_number}0{year2}{candidate}"
    return first12 + uci_check_letter(first12)


@dataclass
class DemoResult:
    created: int
    users: list[tuple[str, str]]


# Learners per cohort year: the lead's 40 split into Business and Applied Science groups
# (every third in Science), the partner's 20 all in Business, taught at the lead centre.
LEAD_LEARNERS, PARTNER_LEARNERS = 40, 20


def load_demo(today: dt.date | None = None, *, with_round: bool = True) -> DemoResult:
    """The demo as it would stand on `today` (the real date by default).

    Last academic year's round is complete; this year's has gone as far as a centre
    usually has by this time of year (demo_registrations.py keeps the calendar).
    with_round=False stops before this year's round (a browser journey runs it).
    """
    today = today or timezone.localdate()
    year = academic_year_for(today)
    last = _shift(year, -1)
    clock = DemoClock(today)
    created = 0

    with audit.batch(), transaction.atomic():
        # The school's set-up, in the summer before last year's round.
        with clock.at(dt.date(int(last[:4]), 6, 15), 9):
            centres, users, quals, new = _people_and_places()
            created += new
        created += _demo_arrangement(centres, quals, users, last, clock)

        # The story is told once: a second run, on any day, finds the round and stops.
        if not RegistrationRound.objects.filter(centre=centres["lead"]).exists():
            with clock.at(dt.date(int(last[:4]), 7, 10), 10):
                previous = _start_cohorts(centres, quals, users, last, offset=0)
            created += len(previous)
            created += tell_year(
                clock, centres=centres, cohorts=previous, users=users, year=last, upto=None
            )
            with clock.at(dt.date(int(year[:4]), 7, 9), 10):
                cohorts = _start_cohorts(centres, quals, users, year, offset=1)
                if with_round:  # (a journey that runs the round itself does the Nationals')
                    cohorts.update(demo_tracking.start_tech_award(centres, users, year))
                cohorts.update(_second_year_groups(previous, users, year))
            created += len(cohorts)
            if with_round:
                created += tell_year(
                    clock, centres=centres, cohorts=cohorts, users=users, year=year, upto=today
                )
                # Then the year's assessment, area by area, in the order the office works.
                for area in DEMO_AREAS:
                    created += area.tell(
                        clock, centres=centres, cohorts=cohorts, users=users, year=year, today=today
                    )

    return DemoResult(
        created=created,
        users=[(u[0], ", ".join(r.label for r in u[3] + u[4])) for u in USERS]
        + [("sysadmin", "superuser (Django admin)")],
    )


def _people_and_places():
    """The two schools, a user per role, the qualifications. Found before created."""
    created = 0
    User = get_user_model()
    centres = {}
    for key, (number, name) in (("lead", LEAD), ("partner", PARTNER)):
        centre, new = Centre.objects.get_or_create(
            number=number,
            defaults={"name": name, "email": f"exams@{name.split()[0].lower()}.example"},
        )
        centres[key] = centre
        if new:
            created += 1
            audit.record(
                None, "centres.centre.created", centre, after={"number": number, "name": name}
            )

    hashed = None  # PBKDF2 is slow by design: one hash of the one demo password for all
    users = {}
    for username, first, last, lead_roles, partner_roles in [
        *USERS,
        ("sysadmin", "System", "Administrator", [], []),
    ]:
        user, new = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@btecqa-demo.example",
                "is_staff": username == "sysadmin",
                "is_superuser": username == "sysadmin",
            },
        )
        if new:
            hashed = hashed or make_password(DEMO_PASSWORD)
            user.password = hashed
            user.save(update_fields=["password"])
            created += 1
        users[username] = user
        for centre_key, roles in (("lead", lead_roles), ("partner", partner_roles)):
            for role in roles:
                ra, new = RoleAssignment.objects.get_or_create(
                    user=user, role=role, centre=centres[centre_key]
                )
                if new:
                    created += 1
                    audit.record(
                        None,
                        "accounts.role.granted",
                        ra,
                        centre=ra.centre,
                        after={"user": username, "role": role.value},
                    )

    created += sum(1 for r in load_shipped_qualifications() if getattr(r, "created", False))
    quals = [Qualification.objects.get(number=n) for n in DEMO_QUALIFICATIONS]
    return centres, users, quals, created


def _group_name(cohort, quals) -> str:
    """The class keeps its intake's name through both years: 26BUS-L, 26SPO-L, 26BUS-P."""
    subject = "BUS" if cohort.qualification_id == quals[0].pk else "SPO"
    return f"{cohort.start_year[2:4]}{subject}-{'L' if cohort.centre.number == LEAD[0] else 'P'}"


def _start_cohorts(centres, quals, users, year: str, *, offset: int) -> dict:
    """A year's intake: its cohorts, its learners (from the MIS) and its first-year groups.

    offset numbers the intakes, so each learner has a name, candidate number and ULN of
    their own across the demo."""
    from learners.services import save_cohort, save_teaching_group

    start = int(year[:4])
    cohorts = {}
    for centre_key, qual, leader in (
        ("lead", quals[0], "pl"),
        ("lead", quals[1], "pl"),
        ("partner", quals[0], "partner_pl"),
    ):
        # A two-year Extended Certificate (Years 12 and 13); 300 GLH mandatory and one
        # 60 GLH optional unit make its 360 GLH.
        cohort = save_cohort(
            Cohort(
                qualification=qual,
                centre=centres[centre_key],
                start_year=year,
                years=2,
                leader=users[leader],
            ),
            optional_units=list(qual.units.filter(mandatory=False).order_by("sort_key")[:1]),
            by=users["eo" if centre_key == "lead" else "partner_eo"],
        )
        cohorts[(centre_key, qual.number, year)] = cohort

    members = {key: [] for key in cohorts}
    n = offset * (LEAD_LEARNERS + PARTNER_LEARNERS)
    for centre_key, count in (("lead", LEAD_LEARNERS), ("partner", PARTNER_LEARNERS)):
        centre = centres[centre_key]
        for i in range(count):
            number = offset * count + i + 1
            candidate = f"{number * 7 + (0 if centre_key == 'lead' else 500):04d}"
            learner = _demo_learner(centre, candidate, n, start)
            qnum = quals[1].number if centre_key == "lead" and i % 3 == 2 else quals[0].number
            members[(centre_key, qnum, year)].append(learner)
            n += 1

    for key, cohort in cohorts.items():
        # The partner's business learners are taught at the lead centre: consortium students.
        save_teaching_group(
            TeachingGroup(
                cohort=cohort,
                academic_year=year,
                name=_group_name(cohort, quals),
                delivering_centre=centres["lead"],
            ),
            learners=members[key],
            by=users["admin"],
        )
    return cohorts


def _second_year_groups(previous: dict, users, year: str) -> dict:
    """Last year's intake moves up: the same class, this year's group (Year 13)."""
    from learners.services import save_teaching_group

    for cohort in previous.values():
        first = cohort.teaching_groups.get(academic_year=cohort.start_year)
        save_teaching_group(
            TeachingGroup(
                cohort=cohort,
                academic_year=year,
                name=first.name,
                delivering_centre=first.delivering_centre,
            ),
            learners=list(first.learners.all()),
            by=users["admin"],
        )
    return dict(previous)


def _demo_learner(
    centre, candidate: str, n: int, start: int, born: dt.date | None = None, **names
) -> Learner:
    """One invented learner, as the MIS import would bring them in (audited); a Year 12
    unless `born` says otherwise."""
    first, last = demo_name(n) if not names else (names["first"], names["last"])
    learner = Learner.objects.create(
        centre=centre,
        candidate_number=candidate,
        first_name=first,
        last_name=last,
        date_of_birth=born or demo_date_of_birth(n, start),
        sex="F" if n % 2 else "M",
        uln=demo_uln(n),
        uci=demo_uci(centre.number, f"{start % 100:02d}", candidate),
        admission_number=f"{'L' if centre.number == LEAD[0] else 'P'}{1000 + n}",
    )
    audit.record(
        None,
        "learners.learner.created",
        learner,
        after={"name": str(learner), "uln": learner.uln, "candidate_number": candidate},
    )
    return learner


def _demo_arrangement(centres, quals, users, first_year: str, clock) -> int:
    """The consortium, made as a real one is: each school records its own Pearson approvals,
    the lead's Quality Nominee invites, the partner's Quality Nominee accepts, then the
    Business qualification joins with its Lead IV. In the summer before its first year."""
    if CollaborativeArrangement.objects.filter(name="Vale and Moor Consortium").exists():
        return 0
    start = int(first_year[:4])
    with clock.at(dt.date(start, 6, 16), 10):
        for key, approver in (("lead", "qn"), ("partner", "partner_qn")):
            for n, qualification in enumerate(quals):
                if not QualificationApproval.objects.filter(
                    centre=centres[key], qualification=qualification
                ).exists():
                    arrangements.record_approval(
                        centre=centres[key],
                        qualification=qualification,
                        approved_on=dt.date(start, 5, 20),
                        reference=f"DEMO-APP-{centres[key].number}-{n + 1}",
                        by=users[approver],
                    )
        arrangement = arrangements.create_arrangement(
            lead_centre=centres["lead"],
            name="Vale and Moor Consortium",
            programme_code="VMC-BUS",
            first_year=first_year,
            by=users["qn"],
        )
        partner = arrangements.invite_partner(
            arrangement, centre=centres["partner"], by=users["qn"]
        )
    with clock.at(dt.date(start, 6, 18), 14):
        arrangements.accept_invitation(
            partner, by=users["partner_qn"], note="Agreed at the heads' meeting."
        )
    with clock.at(dt.date(start, 6, 19), 11):
        arrangements.add_qualification(
            arrangement,
            qualification=quals[0],
            lead_iv=users["liv"],
            added_on=dt.date(start, 6, 19),
            by=users["qn"],
        )
    # The follow-ups the consortium asks for: the change noted, Pearson told.
    from todos.models import ToDo

    with clock.at(dt.date(start, 6, 23), 10):
        for todo in ToDo.objects.filter(closed_at=None, kind=arrangements.NOTE_CHANGE):
            lead = todo.centre_id == centres["lead"].pk
            arrangements.note_change(todo, by=users["qn" if lead else "partner_qn"])
        for n, todo in enumerate(
            ToDo.objects.filter(closed_at=None, kind=arrangements.TELL_PEARSON).order_by("pk")
        ):
            arrangements.record_pearson_told(
                todo,
                told_on=dt.date(start, 6, 23),
                reference=f"DEMO-CAS-{start}-{n + 1}",
                by=users["qn"],
            )
    return 1
