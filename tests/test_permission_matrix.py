"""The URL × role × centre matrix, generated from the URL resolver.

Every URL pattern is requested by every role at the object's own centre, at a partner
centre on the arrangement (both ways), at the lead centre for a partner's record the
arrangement does not share, at a centre only invited (not yet a partner), at a centre
that teaches the learner (delivering), at an unrelated centre, and anonymously; each
with GET and POST. A pattern without a maker below fails the suite, so a new view cannot
be forgotten.

What is asserted is the invariant the one permission layer promises, derived from what
each view declares (its page permission and that permission's reaches):
- anonymous visitors are sent to log in;
- a role whose page permission it lacks gets 403, whatever the object;
- where the declared reach does not extend to the object, the answer is 403, 404 or 405:
  never a page, a download or a redirect after doing something (a leak);
- at the object's own centre, a role holding the permission never gets a 404 or a 500;
- on list pages and exports, no record appears from a centre the user may not see.
Each request runs in a savepoint that is rolled back, so one world serves them all.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import audit
from accounts.permissions import (
    ARRANGEMENT,
    DELIVERING,
    LEARNERS_HOME,
    MEMBER,
    SIGNED_IN,
    access_of,
    get_permission,
    protected_models,
)
from accounts.roles import EXTERNAL_ROLES, Role
from centres import services as arrangements
from centres.models import ArrangementPartner, ArrangementQualification
from learners.imports import preview_import
from learners.models import Learner, TeachingGroup
from registrations import changes, entry_check, number_import, services
from registrations.models import CentreCalendar, ChangeRequest, Discrepancy, TransferHandover
from todos.models import ToDo
from verification import services as lead_ivs
from verification.models import LeadIVAppointment

from . import (
    matrix_certificates,
    matrix_claim_records,
    matrix_claims,
    matrix_claims_audit,
    matrix_decisions,
    matrix_declarations,
    matrix_dossier,
    matrix_external_entries,
    matrix_grants,
    matrix_iv,
    matrix_jobs,
    matrix_monitoring,
    matrix_plans,
    matrix_policies,
    matrix_progress,
    matrix_reminders,
    matrix_results,
    matrix_retention,
    matrix_sampling,
    matrix_sv,
    matrix_tracking,
)
from .factories import (
    CentreFactory,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    RoleAssignmentFactory,
    TeachingGroupFactory,
    UserFactory,
    approve,
)

R = Role
ROLES = sorted(Role, key=str)
# Later apps keep their part of the matrix in their own module: `fill(world, key, site)`
# adds their records to a site (in site.extra), `makers(site)` names their URLs' targets.
MATRIX_AREAS = (
    matrix_plans,
    matrix_decisions,
    matrix_iv,
    matrix_sampling,
    matrix_tracking,
    matrix_sv,
    matrix_policies,
    matrix_grants,
    matrix_declarations,
    matrix_claims,
    matrix_claim_records,
    matrix_external_entries,
    matrix_progress,
    matrix_results,
    matrix_claims_audit,
    matrix_dossier,
    matrix_reminders,
    matrix_jobs,
    matrix_certificates,
    matrix_retention,
    matrix_monitoring,
)
PUBLIC = {
    "login",
    "logout",
    "healthz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
NOT_REACHED = {403, 404, 405}
# Roles of the lead centre to whom an arrangement grants the partner's shared records.
GRANTEES = {R.QUALITY_NOMINEE, R.LEAD_IV}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue
            yield from _walk(p.url_patterns, prefix + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            yield prefix + (p.name or ""), p


def all_urls() -> dict[str, URLPattern]:
    return dict(_walk(get_resolver().url_patterns))


# --- the world -----------------------------------------------------------------------


@dataclass
class Site:
    """One centre's records for one programme: what the URLs' kwargs point at."""

    key: str
    centre: object
    marker: str
    learner: object = None
    cohort: object = None
    group: object = None
    round: object = None
    request: object = None
    entry_list: object = None
    registration: object = None
    query: object = None
    check: object = None
    discrepancy: object = None
    change: object = None
    event: object = None
    learner_import: object = None
    numbers_import: object = None
    extra: dict = field(default_factory=dict)


class World:
    """Four centres: O leads an arrangement on qualification Q with P (accepted) and N
    (invited, not answered); U is unrelated. Each centre has one user per role; O's
    Lead IV is the arrangement's Lead IV for Q."""

    def __init__(self):
        self.O = CentreFactory(number="71001", name="Matrix Lead Academy")
        self.P = CentreFactory(number="71002", name="Matrix Partner School")
        self.N = CentreFactory(number="71003", name="Matrix Invited College")
        self.U = CentreFactory(number="71004", name="Matrix Unrelated School")
        self.centres = {"O": self.O, "P": self.P, "N": self.N, "U": self.U}
        self.users = {}
        for key, centre in self.centres.items():
            for role in Role:
                user = UserFactory(username=f"mx_{key}_{role.value}")
                RoleAssignmentFactory(user=user, centre=centre, role=role)
                self.users[(key, role)] = user
        self.Q = QualificationFactory(title="Matrix Shared Qualification")
        self.Q2 = QualificationFactory(title="Matrix Unshared Qualification")
        self.Q3 = QualificationFactory(title="Matrix Delivered Qualification")
        for centre in (self.O, self.P, self.N):
            approve(centre, self.Q)
        qn = self.users[("O", R.QUALITY_NOMINEE)]
        self.arrangement = arrangements.create_arrangement(
            lead_centre=self.O,
            name="Matrix Consortium",
            programme_code="MX1",
            first_year="2026/27",
            by=qn,
        )
        self.partner_row = arrangements.invite_partner(self.arrangement, centre=self.P, by=qn)
        arrangements.accept_invitation(self.partner_row, by=self.users[("P", R.QUALITY_NOMINEE)])
        self.invited_row = arrangements.invite_partner(self.arrangement, centre=self.N, by=qn)
        self.aq = arrangements.add_qualification(
            self.arrangement,
            qualification=self.Q,
            lead_iv=self.users[("O", R.LEAD_IV)],
            added_on=dt.date(2026, 9, 21),
            by=qn,
        )
        self.partner_row.refresh_from_db()
        self.tell_pearson = ToDo.objects.filter(
            kind=arrangements.TELL_PEARSON, closed_at__isnull=True
        ).first()
        self.note = ToDo.objects.filter(
            kind=arrangements.NOTE_CHANGE, closed_at__isnull=True, centre=self.O
        ).first()
        self.sites = {
            "own": self._site("own", "O", self.Q, deliver_at="O"),
            "shared": self._site("shared", "P", self.Q, deliver_at="P"),
            "unshared": self._site("unshared", "P", self.Q2, deliver_at="P"),
            "delivered": self._site("delivered", "P", self.Q3, deliver_at="O"),
            "invited": self._site("invited", "N", self.Q, deliver_at="N"),
            "unrelated": self._site("unrelated", "U", self.Q, deliver_at="U"),
        }
        # One of the partner's learners is taught in the lead centre's own group (a
        # consortium cohort): the partner reads that cohort's QA records (3.1.7).
        self.visitor = LearnerFactory(centre=self.P, last_name="Visiting")
        self.sites["own"].group.learners.add(self.visitor)

    def user(self, key, role):
        return self.users[(key, role)]

    def _site(self, name, key, qualification, deliver_at) -> Site:
        centre = self.centres[key]
        eo = self.user(key, R.EXAMS_OFFICER)
        pl = self.user(key, R.PROGRAMME_LEADER)
        qnu = self.user(key, R.QUALITY_NOMINEE)
        site = Site(name, centre, marker=f"Zzmark{name.capitalize()}")
        site.cohort = CohortFactory(centre=centre, qualification=qualification, leader=pl)
        site.group = TeachingGroupFactory(
            cohort=site.cohort, delivering_centre=self.centres[deliver_at], name="12MX"
        )
        site.learner = LearnerFactory(centre=centre, last_name=site.marker)
        site.group.learners.add(site.learner)
        site.event = audit.record(
            eo, "learners.learner.created", site.learner, after={"name": site.marker}
        )
        rnd = self.rounds.get(key) if hasattr(self, "rounds") else None
        if rnd is None:
            rnd = services.open_round(centre=centre, academic_year="2026/27", by=eo)
            self.rounds = getattr(self, "rounds", {})
            self.rounds[key] = rnd
            CentreCalendar.objects.get_or_create(
                centre=centre,
                academic_year="2026/27",
                defaults={
                    "term_starts": dt.date(2026, 9, 3),
                    "october_half_term_starts": dt.date(2026, 10, 26),
                },
            )
        site.round = rnd
        site.request = services.request_entries(
            rnd, cohort=site.cohort, due_date=dt.date(2026, 9, 30), by=eo
        )
        site.registration = services.propose_entry(site.request, learner=site.learner, by=pl)
        services.finish_proposals(site.request, by=pl)
        site.entry_list = site.cohort.entry_lists.get()
        services.make_entries(site.entry_list, registrations=[site.registration], by=eo)
        site.entry_list.refresh_from_db()
        services.return_entry_list(site.entry_list, by=eo)
        site.entry_list.refresh_from_db()
        site.query = services.query_row(
            site.entry_list, registration=site.registration, reason="Check the name", by=pl
        )
        site.check = getattr(rnd, "_mx_check", None) or entry_check.start_entry_check(rnd, by=qnu)
        rnd._mx_check = site.check
        site.discrepancy = entry_check.record_discrepancy(
            site.check,
            learner=site.learner,
            cohort=site.cohort,
            kind=Discrepancy.Kind.OTHER,
            detail="Matrix discrepancy",
            by=qnu,
        )
        site.change = changes.request_details_change(
            site.learner, details="Surname spelt wrongly", by=eo
        )
        # A transfer handed over TO this centre (the handover's centre is the receiving one).
        sender = self.U if centre != self.U else self.O
        handed = ChangeRequest.objects.create(
            kind="transfer",
            centre=centre,
            learner=site.learner,
            registration=site.registration,
            to_centre=sender,
            details="Matrix transfer",
            requested_by=eo,
            status="handover",
        )
        site.extra["handover"] = TransferHandover.objects.create(
            change=handed,
            from_centre=sender,
            to_centre=centre,
            first_name="Incoming",
            last_name="Transferee",
            date_of_birth=dt.date(2009, 5, 1),
            uci="681990012058G",
            registration_number="MXRN1",
            qualification=qualification,
            achievement="none",
            handed_over_on=dt.date(2026, 9, 20),
            handed_over_by=eo,
        )
        site.extra["lead_iv"] = lead_ivs.appoint_lead_iv(
            centre=centre,
            qualification=qualification,
            academic_year="2026/27",
            lead_iv=self.user(key, R.LEAD_IV),
            cover=self.user(key, R.ASSESSOR_IV),
            by=qnu,
        )
        csv = (
            "Admission number,Legal surname,Legal forename,Date of birth,Sex\r\n"
            f"MX{centre.number},{site.marker},Imported,01/02/2009,F\r\n"
        ).encode()
        site.learner_import = preview_import(
            centre=centre,
            kind="learners",
            uploaded_file=SimpleUploadedFile("mx.csv", csv),
            file_name="mx.csv",
            user=eo,
        ).import_obj
        numbers = f"ULN,Surname,Forenames,Registration number\r\n,{site.marker},X,MX1\r\n".encode()
        site.numbers_import = number_import.preview_registration_numbers(
            SimpleUploadedFile("numbers.csv", numbers), centre, eo
        )
        for area in MATRIX_AREAS:
            area.fill(self, key, site)
        return site


# --- what each URL is about: its kwargs for a site, and the object's facts -----------------


@dataclass(frozen=True)
class Target:
    kwargs: dict
    home: str  # centre key of the object's own centre
    model: type | None  # the protected model whose access decides (None: a global page)
    shared: bool = False  # on the arrangement's qualification, at an accepted partner
    delivered_at: str | None = None
    # centres with learners in the object's cohort (the home-centre reach, policy 3.1.7)
    learners_from: tuple[str, ...] = ()


def _site_targets(w: World, make, model) -> list[tuple[Target, str]]:
    """The usual (object, user centre) pairs for a per-site URL."""
    s = w.sites
    return [
        (Target(make(s["own"]), "O", model), "O"),
        (Target(make(s["own"]), "O", model, learners_from=("P",)), "P"),
        (Target(make(s["own"]), "O", model), "U"),
        (Target(make(s["shared"]), "P", model, shared=True), "O"),
        (Target(make(s["unshared"]), "P", model), "O"),
        (Target(make(s["delivered"]), "P", model, delivered_at="O"), "O"),
        (Target(make(s["invited"]), "N", model), "O"),
    ]


def _arrangement_targets(w: World, make, model, homes=("O",)) -> list[tuple[Target, str]]:
    out = []
    for home in homes:
        for user_centre in ("O", "P", "N", "U"):
            out.append((Target(make(home), home, model), user_centre))
    return out


def makers(w: World) -> dict[str, list[tuple[Target, str]]]:
    from audit.models import AuditEvent
    from learners.models import Cohort, LearnerImport
    from registrations.models import (
        ChangeRequest,
        EntryCheck,
        EntryList,
        EntryRequest,
        Registration,
        RegistrationNumberImport,
        RegistrationRound,
        RowQuery,
        TransferHandover,
    )

    def site(make, model):
        return _site_targets(w, make, model)

    def rows(s, extra=None):
        return {"pk": s.entry_list.pk, **(extra or {})}

    partner_rows = {"P": w.partner_row, "N": w.invited_row}
    arrangement = w.arrangement

    return {
        "audit:event_detail": site(lambda s: {"seq": s.event.seq}, AuditEvent),
        "centres:arrangement_detail": _arrangement_targets(
            w, lambda h: {"pk": arrangement.pk}, type(arrangement)
        ),
        "centres:partner_invite": _arrangement_targets(
            w, lambda h: {"pk": arrangement.pk}, type(arrangement)
        ),
        "centres:qualification_add": _arrangement_targets(
            w, lambda h: {"pk": arrangement.pk}, type(arrangement)
        ),
        "centres:qualification_withdraw": _arrangement_targets(
            w, lambda h: {"pk": arrangement.pk, "aq_pk": w.aq.pk}, ArrangementQualification
        ),
        "centres:pearson_told": _arrangement_targets(
            w, lambda h: {"pk": arrangement.pk, "todo_pk": w.tell_pearson.pk}, ToDo
        ),
        "centres:change_noted": _arrangement_targets(
            w, lambda h: {"pk": arrangement.pk, "todo_pk": w.note.pk}, ToDo
        ),
        "centres:partner_answer": _arrangement_targets(
            w,
            lambda h: {"pk": arrangement.pk, "partner_pk": partner_rows[h].pk},
            ArrangementPartner,
            homes=("P", "N"),
        ),
        "centres:partner_withdraw": _arrangement_targets(
            w,
            lambda h: {"pk": arrangement.pk, "partner_pk": partner_rows[h].pk},
            ArrangementPartner,
            homes=("P", "N"),
        ),
        "learner_imports:preview": site(lambda s: {"pk": s.learner_import.pk}, LearnerImport),
        "learner_imports:mapping": site(lambda s: {"pk": s.learner_import.pk}, LearnerImport),
        "learner_imports:commit": site(lambda s: {"pk": s.learner_import.pk}, LearnerImport),
        "learner_imports:result": site(lambda s: {"pk": s.learner_import.pk}, LearnerImport),
        "learners:learner_detail": site(lambda s: {"pk": s.learner.pk}, Learner),
        "learners:learner_edit": site(lambda s: {"pk": s.learner.pk}, Learner),
        "learners:cohort_detail": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "learners:cohort_edit": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "learners:group_create": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "learners:group_edit": site(
            lambda s: {"pk": s.cohort.pk, "group_pk": s.group.pk}, TeachingGroup
        ),
        "learners:class_list_export": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "catalogue:qualification_detail": [
            (Target({"pk": w.Q.pk}, "O", None), c) for c in ("O", "U")
        ],
        "catalogue:qualification_export": [
            (Target({"pk": w.Q.pk}, "O", None), c) for c in ("O", "U")
        ],
        "registrations:round_detail": site(lambda s: {"pk": s.round.pk}, RegistrationRound),
        "registrations:request_entries": site(lambda s: {"pk": s.round.pk}, RegistrationRound),
        "registrations:round_close": site(lambda s: {"pk": s.round.pk}, RegistrationRound),
        "registrations:round_start_cohorts": site(lambda s: {"pk": s.round.pk}, RegistrationRound),
        "registrations:round_notices": site(lambda s: {"pk": s.round.pk}, RegistrationRound),
        "registrations:round_letters": site(lambda s: {"pk": s.round.pk}, RegistrationRound),
        "registrations:round_letters_preview": site(
            lambda s: {"pk": s.round.pk}, RegistrationRound
        ),
        "registrations:check_start": site(lambda s: {"pk": s.round.pk}, RegistrationRound),
        "registrations:proposals": site(lambda s: {"pk": s.request.pk}, EntryRequest),
        "registrations:proposals_send": site(lambda s: {"pk": s.request.pk}, EntryRequest),
        "registrations:proposal_options": site(
            lambda s: {"pk": s.request.pk, "reg": s.registration.pk}, Registration
        ),
        **{
            name: site(lambda s: rows(s), EntryList)
            for name in (
                "registrations:entry_list",
                "registrations:entries_make",
                "registrations:entry_list_return",
                "registrations:entry_list_sign",
                "registrations:entry_list_submit",
                "registrations:entry_list_versions",
                "registrations:entry_list_pdf",
                "registrations:entry_list_xlsx",
                "registrations:pearson_xlsx",
            )
        },
        **{
            name: site(lambda s: rows(s, {"reg": s.registration.pk}), Registration)
            for name in (
                "registrations:row_query",
                "registrations:row_amend",
                "registrations:row_remove",
            )
        },
        "registrations:query_answer": site(lambda s: {"pk": s.query.pk}, RowQuery),
        "verification:lead_iv_edit": site(
            lambda s: {"pk": s.extra["lead_iv"].pk}, LeadIVAppointment
        ),
        "registrations:numbers_preview": site(
            lambda s: {"pk": s.numbers_import.pk}, RegistrationNumberImport
        ),
        "registrations:numbers_apply": site(
            lambda s: {"pk": s.numbers_import.pk}, RegistrationNumberImport
        ),
        **{
            name: site(lambda s: {"pk": s.check.pk}, EntryCheck)
            for name in (
                "registrations:check_detail",
                "registrations:check_run",
                "registrations:check_close",
                "registrations:discrepancy_add",
            )
        },
        **{
            name: site(lambda s: {"pk": s.discrepancy.pk}, Discrepancy)
            for name in (
                "registrations:discrepancy_detail",
                "registrations:discrepancy_ask",
                "registrations:discrepancy_answer",
                "registrations:discrepancy_pass",
                "registrations:discrepancy_amend",
                "registrations:discrepancy_resolve",
            )
        },
        **{
            name: site(lambda s: {"pk": s.change.pk}, ChangeRequest)
            for name in (
                "registrations:change_detail",
                "registrations:change_action",
                "registrations:change_cancel",
                "registrations:change_verify",
            )
        },
        **{
            name: site(lambda s: {"pk": s.extra["handover"].pk}, TransferHandover)
            for name in (
                "registrations:transfer_detail",
                "registrations:transfer_complete",
                "registrations:transfer_decline",
            )
        },
        "registrations:registration_reinstate": site(
            lambda s: {"pk": s.registration.pk}, Registration
        ),
        **{name: made for area in MATRIX_AREAS for name, made in area.makers(site).items()},
    }


# Pages with no object: the list pages. Their responses are searched for other centres'
# records (the sites' markers).
LIST_PAGE_CENTRES = ("O", "P", "U")


def _reachable(perm_code: str, target: Target, user_centre: str, role: Role) -> bool:
    """Does the declared reach of the page's permission extend from the user to the object?"""
    if target.model is None:
        return True  # Pearson's catalogue: the same for every centre
    if role in EXTERNAL_ROLES:
        # The Standards Verifier at O holds a grant on the own site's cohort (matrix_grants);
        # elsewhere a grant naming none. No reach: only what the grant names.
        spec = access_of(target.model)
        granted = "cohort" in spec.paths or spec.qualification is not None
        return user_centre == target.home == "O" and granted
    if user_centre == target.home:
        return True
    perm = get_permission(perm_code)
    spec = access_of(target.model)
    if target.delivered_at == user_centre and DELIVERING in perm.reach and spec.delivering:
        return True
    if MEMBER in perm.reach and spec.member and {user_centre, target.home} <= {"O", "P", "N"}:
        return True
    if (
        user_centre in target.learners_from
        and LEARNERS_HOME in perm.reach
        and not spec.learner
        and "cohort" in spec.paths
    ):
        return True
    if (
        target.shared
        and user_centre == "O"
        and ARRANGEMENT in perm.reach
        and spec.qualification
        and role in GRANTEES
    ):
        return True
    return False


def _page_perm(pattern: URLPattern) -> str:
    return getattr(pattern.callback, "btecqa_permission", "")


def _roles_with(perm_code: str) -> set[Role]:
    if perm_code == SIGNED_IN:
        return set(Role)
    return set(get_permission(perm_code).roles)


def _text(response) -> str:
    content = b"".join(response) if response.streaming else response.content
    if content[:2] == b"PK":  # an XLSX: the text of every part
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return content.decode("utf-8", "replace")


FORM_ACTION = re.compile(r'<form[^>]*method="post"[^>]*action="(/[^"]*)"', re.IGNORECASE)
LINK = re.compile(r'<a [^>]*href="(/[^"#?]*)[^"]*"')


def _main(html: str) -> str:
    start = html.find('<main id="main"')
    return html[start : html.find("</main>", start)] if start >= 0 else ""


def _dead_controls(client, user, html: str) -> list[str]:
    """Buttons and links on the page that the user cannot use: they should not be shown."""
    from django.urls import Resolver404, resolve

    from accounts.permissions import has_perm

    dead = []
    main = _main(html)
    for action in sorted(set(FORM_ACTION.findall(main))):
        response, error = _request(client, "POST", action)
        if error or response.status_code in (403, 404):
            dead.append(f"form to {action}: {error or response.status_code}")
    for href in sorted(set(LINK.findall(main))):
        try:
            match = resolve(href)
        except Resolver404:
            continue
        perm = getattr(match.func, "btecqa_permission", "")
        if perm and perm != SIGNED_IN and not has_perm(user, perm):
            dead.append(f"link to {href}: the role lacks {perm}")
        elif match.kwargs:  # a page about one object: the object's own decision
            response, error = _request(client, "GET", href)
            if error or response.status_code in (403, 404):
                dead.append(f"link to {href}: {error or response.status_code}")
    return dead


def _request(client, method, url):
    """One request, rolled back: the world stays as built for the next."""
    try:
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url, {})
            transaction.set_rollback(True)
    except Exception as exc:  # a 500 the test client re-raised
        return None, f"{type(exc).__name__}: {exc}"
    return response, ""


# Which sites' records each user may find on a list page, by the user's centre and role.
def _visible_markers(world: World, user_centre: str, role: Role) -> set[str]:
    s = world.sites
    if role in EXTERNAL_ROLES:  # the own site's cohort at O (matrix_grants), else nothing
        return {s["own"].marker} if user_centre == "O" else set()
    mine = {k for k, site in s.items() if site.centre == world.centres[user_centre]}
    if user_centre == "O":
        mine.add("delivered")
        if role in GRANTEES:
            mine.add("shared")
    return {s[k].marker for k in mine}


NAMESPACES = [
    "",
    "accounts",
    "audit",
    "centres",
    "learners",
    "learner_imports",
    "catalogue",
    "registrations",
    "verification",
    "assessment",
    "policies",
    "declarations",
    "claims",
    "dossier",
    "calendar_reminders",
    "jobs",
    "certification",
    "retention",
]


def _namespace(name: str) -> str:
    return name.split(":")[0] if ":" in name else ""


@pytest.fixture(autouse=True)
def _quiet(caplog):
    """Thousands of expected 403s and 404s: keep the log for real failures."""
    import logging

    caplog.set_level(logging.CRITICAL, logger="django.request")


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(dt.datetime(2026, 9, 21, 10, 0), tick=True):
        yield World()


def test_every_url_has_a_maker_or_is_a_list_page_or_public():
    """A new URL with an object in it must be added to makers() to be in the matrix."""
    pattern_kwargs = {
        name: p.pattern.converters for name, p in all_urls().items() if name not in PUBLIC
    }
    needs_maker = {name for name, conv in pattern_kwargs.items() if conv}
    import inspect

    sources = [inspect.getsource(makers), *(inspect.getsource(a) for a in MATRIX_AREAS)]
    known = set(re.findall(r'"([a-z_]+:[a-z_]+)"', "\n".join(sources)))
    assert needs_maker - known == set(), "URLs with no object maker in the matrix"
    assert set(NAMESPACES) >= {_namespace(n) for n in pattern_kwargs}


def test_every_model_a_url_reaches_declares_its_access():
    """Each model in the makers declares how it reaches a centre (the one place)."""
    models = protected_models()
    labels = {m._meta.label for m in models}
    for label in (
        "learners.Learner",
        "learners.Cohort",
        "learners.TeachingGroup",
        "learners.LearnerImport",
        "registrations.EntryList",
        "registrations.Registration",
        "registrations.Discrepancy",
        "registrations.ChangeRequest",
        "centres.CollaborativeArrangement",
        "centres.ArrangementPartner",
        "audit.AuditEvent",
        "todos.ToDo",
    ):
        assert label in labels


MATRIX_SIZE = {}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_the_matrix(world, namespace):
    urls = {n: p for n, p in all_urls().items() if _namespace(n) == namespace and n not in PUBLIC}
    object_makers = makers(world)
    clients = {}

    def client_for(centre_key, role):
        key = (centre_key, role)
        if key not in clients:
            clients[key] = Client()
            clients[key].force_login(world.user(centre_key, role))
        return clients[key]

    anonymous = Client()
    leaks, errors, count = [], [], 0
    for name, pattern in sorted(urls.items()):
        perm = _page_perm(pattern)
        assert perm, f"{name} declares no permission"
        holders = _roles_with(perm)
        if pattern.pattern.converters:
            cases = object_makers[name]
        else:
            cases = [(Target({}, c, None), c) for c in LIST_PAGE_CENTRES]
        for target, user_centre in cases:
            url = reverse(name, kwargs=target.kwargs)
            for method in ("GET", "POST"):
                response, error = _request(anonymous, method, url)
                count += 1
                if (
                    error
                    or response.status_code != 302
                    or "/accounts/login/" not in response["Location"]
                ):
                    leaks.append(f"anonymous {method} {url}: {error or response.status_code}")
                for role in ROLES:
                    response, error = _request(client_for(user_centre, role), method, url)
                    count += 1
                    who = f"{role.value}@{user_centre} {method} {name} {target.kwargs}"
                    if error:
                        errors.append(f"{who}: {error}")
                        continue
                    status = response.status_code
                    if status >= 500:
                        errors.append(f"{who}: {status}")
                        continue
                    if role not in holders:
                        if status != 403 and status != 405:
                            leaks.append(f"{who}: {status}, expected 403 (role lacks {perm})")
                        continue
                    if not pattern.pattern.converters:
                        if status == 200:
                            text = _text(response)
                            allowed = _visible_markers(world, user_centre, role)
                            for site in world.sites.values():
                                if site.marker in text and site.marker not in allowed:
                                    leaks.append(f"{who}: shows {site.key}'s {site.marker}")
                        continue
                    if _reachable(perm, target, user_centre, role):
                        if user_centre == target.home and status == 404:
                            errors.append(f"{who}: 404 at the object's own centre")
                        if method == "GET" and status == 200 and "html" in response["Content-Type"]:
                            for control in _dead_controls(
                                client_for(user_centre, role),
                                world.user(user_centre, role),
                                response.content.decode(),
                            ):
                                leaks.append(f"{who}: shows a {control}")
                    elif status not in NOT_REACHED:
                        leaks.append(f"{who}: {status}, beyond {perm}'s reach")
    MATRIX_SIZE[namespace] = (len(urls), count)
    assert not errors, f"{len(errors)} server errors:\n" + "\n".join(errors[:40])
    assert not leaks, f"{len(leaks)} leaks in {count} requests:\n" + "\n".join(leaks[:60])
