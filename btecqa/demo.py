"""Invented demo data: two schools in a consortium, a user per role, programmes and learners.

Every name here is made up. Running it twice changes nothing: each object is
found by its natural key before it is created, and events go on the audit
trail only when something is created.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import RoleAssignment
from accounts.roles import Role
from centres import services as arrangements
from centres.models import Centre, CollaborativeArrangement, QualificationApproval
from learners.models import Cohort, Learner, TeachingGroup
from learners.validators import uci_check_letter
from qualifications.catalogue import load_shipped_qualifications
from qualifications.models import Qualification
from registrations.calendar import academic_year_for

from .demo_registrations import load_demo_round

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

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Finn",
    "Gina",
    "Harun",
    "Isla",
    "Jonah",
    "Kira",
    "Leo",
    "Maya",
    "Nico",
    "Orla",
    "Pavel",
]
LAST_NAMES = [
    "Ashdown",
    "Brennock",
    "Calloway",
    "Dunmore",
    "Everleigh",
    "Fairholme",
    "Garside",
    "Holloway",
    "Ingleby",
    "Jessop",
    "Kittering",
    "Langridge",
    "Moorcroft",
    "Netherby",
    "Oakhurst",
    "Penrose",
]


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


def load_demo(today: dt.date | None = None, *, with_round: bool = True) -> DemoResult:
    """with_round=False stops before the registration round (a browser journey runs it)."""
    today = today or timezone.localdate()
    year = academic_year_for(today)
    created = 0
    User = get_user_model()

    with audit.batch(), transaction.atomic():
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

        users = {}
        for username, first, last, lead_roles, partner_roles in USERS:
            user, new = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@btecqa-demo.example",
                },
            )
            if new:
                user.set_password(DEMO_PASSWORD)
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
        sysadmin, new = User.objects.get_or_create(
            username="sysadmin",
            defaults={
                "first_name": "System",
                "last_name": "Administrator",
                "is_staff": True,
                "is_superuser": True,
                "email": "sysadmin@btecqa-demo.example",
            },
        )
        if new:
            sysadmin.set_password(DEMO_PASSWORD)
            sysadmin.save(update_fields=["password"])
            created += 1

        created += sum(1 for r in load_shipped_qualifications() if getattr(r, "created", False))
        quals = [Qualification.objects.get(number=n) for n in DEMO_QUALIFICATIONS]

        cohorts = {}
        for centre_key, qual, leader in (
            ("lead", quals[0], "pl"),
            ("lead", quals[1], "pl"),
            ("partner", quals[0], "partner_pl"),
        ):
            p, new = Cohort.objects.get_or_create(
                qualification=qual,
                centre=centres[centre_key],
                start_year=year,
                defaults={"leader": users.get(leader) if leader else None},
            )
            cohorts[(centre_key, qual.number)] = p
            if new:
                # 300 GLH mandatory + one 60 GLH optional unit = the 360 GLH certificate.
                p.optional_units.set(qual.units.filter(mandatory=False).order_by("sort_key")[:1])
                created += 1
                audit.record(
                    None,
                    "learners.cohort.created",
                    p,
                    after={"qualification": qual.number, "year": year},
                )

        groups = {}
        for (centre_key, qnum), cohort in cohorts.items():
            name = (
                f"{year[2:4]}{'BUS' if qnum == quals[0].number else 'SPO'}-{centre_key[0].upper()}"
            )
            # The partner's business learners are taught at the lead centre: consortium students.
            delivering = centres["lead"] if centre_key == "partner" else centres[centre_key]
            g, new = TeachingGroup.objects.get_or_create(
                cohort=cohort, name=name, defaults={"delivering_centre": delivering}
            )
            groups[(centre_key, qnum)] = g
            created += new

        year2 = year[2:4]
        n = 0
        for centre_key, count in (("lead", 40), ("partner", 20)):
            centre = centres[centre_key]
            for i in range(count):
                n += 1
                candidate = f"{(i + 1) * 7 + (0 if centre_key == 'lead' else 500):04d}"
                first = FIRST_NAMES[(n * 5) % len(FIRST_NAMES)]
                last = LAST_NAMES[(n * 3) % len(LAST_NAMES)]
                learner, new = Learner.objects.get_or_create(
                    centre=centre,
                    candidate_number=candidate,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "date_of_birth": dt.date(2009, 1 + (n % 12), 1 + (n * 3) % 27),
                        "sex": "F" if n % 2 else "M",
                        "uln": demo_uln(n),
                        "uci": demo_uci(centre.number, year2, candidate),
                        "admission_number": f"{centre_key[0].upper()}{1000 + n}",
                    },
                )
                if new:
                    created += 1
                    audit.record(
                        None,
                        "learners.learner.created",
                        learner,
                        after={
                            "name": str(learner),
                            "uln": learner.uln,
                            "candidate_number": candidate,
                        },
                    )
                qnum = (
                    quals[0].number if (i % 3 != 2 or centre_key == "partner") else quals[1].number
                )
                group = groups[(centre_key, qnum)]
                if not group.learners.filter(pk=learner.pk).exists():
                    group.learners.add(learner)

        created += _demo_arrangement(centres, quals, users, year, today)

        created += with_round and load_demo_round(
            centres=centres,
            cohorts=cohorts,
            users=users,
            year=year,
            today=today,
            password=DEMO_PASSWORD,
        )

    return DemoResult(
        created=created,
        users=[(u[0], ", ".join(r.label for r in u[3] + u[4])) for u in USERS]
        + [("sysadmin", "superuser (Django admin)")],
    )


def _demo_arrangement(centres, quals, users, year: str, today: dt.date) -> int:
    """The consortium, made as a real one is: each school records its own Pearson approvals,
    the lead's Quality Nominee invites, the partner's Quality Nominee accepts, then the
    Business qualification joins with its Lead IV."""
    if CollaborativeArrangement.objects.filter(name="Vale and Moor Consortium").exists():
        return 0
    for key, approver in (("lead", "qn"), ("partner", "partner_qn")):
        for n, qualification in enumerate(quals):
            if not QualificationApproval.objects.filter(
                centre=centres[key], qualification=qualification
            ).exists():
                arrangements.record_approval(
                    centre=centres[key],
                    qualification=qualification,
                    approved_on=today - dt.timedelta(days=400),
                    reference=f"DEMO-APP-{centres[key].number}-{n + 1}",
                    by=users[approver],
                )
    arrangement = arrangements.create_arrangement(
        lead_centre=centres["lead"],
        name="Vale and Moor Consortium",
        programme_code="VMC-BUS",
        first_year=year,
        by=users["qn"],
    )
    partner = arrangements.invite_partner(arrangement, centre=centres["partner"], by=users["qn"])
    arrangements.accept_invitation(
        partner, by=users["partner_qn"], note="Agreed at the heads' meeting."
    )
    arrangements.add_qualification(
        arrangement, qualification=quals[0], lead_iv=users["liv"], added_on=today, by=users["qn"]
    )
    return 1
