"""The registration parts of a learner's dossier: every step of each registration; the
Quality Nominee's check of the entries against the class lists as it concerns the learner
(the outcome for them, who checked and when); and each notice the office sent the learner
about their registration (e-mailed, or printed in a letters batch)."""

from django.urls import reverse

from accounts.permissions import has_perm, scope
from dossier.sections import Row, name, register_section

from .models import Discrepancy, EntryCheck, LearnerNotice, Registration, RegistrationStep
from .permissions import RUN_REGISTRATIONS, VIEW_REGISTRATIONS


def registration_rows(learner, viewer) -> list[Row]:
    steps = scope(
        viewer, VIEW_REGISTRATIONS, RegistrationStep.objects.filter(registration__learner=learner)
    ).select_related("registration__cohort__qualification")
    url = reverse("learners:learner_detail", args=[learner.pk])
    rows = []
    for step in steps.order_by("at", "pk"):
        reg = step.registration
        what = f"{step.what}: {reg.cohort.qualification.title}"
        if step.detail:
            what += f" ({step.detail})"
        rows.append(Row(what, step.by_repr, step.at, url))
    return rows


def _entered_at(reg):
    return reg.entered_at or reg.proposed_at


def entry_check_rows(learner, viewer) -> list[Row]:
    """Three queries: the learner's registrations, the entry checks of the rounds they
    fall in (a round's check covers every live registration on a programme of its centre
    taught that year), and the discrepancies the checks found for the learner."""
    registrations = list(
        scope(viewer, VIEW_REGISTRATIONS, Registration.objects.filter(learner_id=learner.pk))
        .select_related("cohort__qualification")
        .order_by("pk")
    )
    discrepancies = list(
        scope(viewer, VIEW_REGISTRATIONS, Discrepancy.objects.filter(learner_id=learner.pk))
        .select_related(
            "entry_check__round",
            "cohort__qualification",
            "found_by",
            "answered_by",
            "amended_by",
            "resolved_by",
        )
        .order_by("found_at", "pk")
    )
    centres = {r.centre_id for r in registrations}
    checks = []
    if centres:
        checks = list(
            scope(
                viewer,
                VIEW_REGISTRATIONS,
                EntryCheck.objects.filter(round__centre_id__in=sorted(centres)),
            )
            .select_related("round", "started_by", "last_run_by", "closed_by")
            .order_by("started_at", "pk")
        )
    found = {(d.entry_check_id, d.cohort_id) for d in discrepancies}
    rows = []
    for check in checks:
        url = reverse("registrations:check_detail", args=[check.pk])
        year = check.round.academic_year
        covered = [
            r
            for r in registrations
            if r.centre_id == check.round.centre_id and r.cohort.covers(year)
        ]
        if not covered:
            continue
        rows.append(
            Row(
                f"Entry check {year} started: entries to be checked against the class lists "
                f"by {check.deadline:%d/%m/%Y}",
                name(check.started_by),
                check.started_at,
                url,
            )
        )
        if check.last_run_at:
            for reg in covered:
                title = reg.cohort.qualification.title
                if (check.pk, reg.cohort_id) in found:
                    outcome = "discrepancy found (below)"
                elif reg.status not in Registration.ACTIVE:
                    continue  # ended before or since: the steps say when
                elif (_entered_at(reg) or check.last_run_at) > check.last_run_at:
                    outcome = "entered after the check last ran, so not yet checked"
                else:
                    outcome = "the entry matches the class lists"
                rows.append(
                    Row(
                        f"Entry check {year}, {title}: {outcome}",
                        name(check.last_run_by or check.started_by),
                        check.last_run_at,
                        url,
                    )
                )
        if check.closed_at:
            rows.append(
                Row(
                    f"Entry check {year} closed: every discrepancy resolved",
                    name(check.closed_by),
                    check.closed_at,
                    url,
                )
            )
    for d in discrepancies:
        url = reverse("registrations:discrepancy_detail", args=[d.pk])
        head = f"Entry check {d.entry_check.round.academic_year}, {d.cohort.qualification.title}: "
        rows.append(
            Row(f"{head}{d.get_kind_display()}: {d.detail}", name(d.found_by), d.found_at, url)
        )
        if d.answered_at:
            rows.append(
                Row(
                    f"{head}the programme leader answered: {d.answer}",
                    name(d.answered_by),
                    d.answered_at,
                    url,
                )
            )
        if d.amended_at:
            rows.append(
                Row(
                    f"{head}the exams officer amended the entry: {d.amendment}",
                    name(d.amended_by),
                    d.amended_at,
                    url,
                )
            )
        if d.resolved_at:
            rows.append(Row(f"{head}discrepancy resolved", name(d.resolved_by), d.resolved_at, url))
    return rows


def notice_rows(learner, viewer) -> list[Row]:
    """One query: each notice sent, with its round and who sent it."""
    notices = scope(
        viewer, VIEW_REGISTRATIONS, LearnerNotice.objects.filter(learner_id=learner.pk)
    ).select_related("round", "sent_by")
    rows = []
    for n in notices.order_by("sent_at", "pk"):
        url = ""
        if has_perm(viewer, RUN_REGISTRATIONS, n.round.centre_id):  # the notices page's own
            url = reverse("registrations:round_notices", args=[n.round_id])
        year = n.round.academic_year
        if n.method == LearnerNotice.Method.EMAIL:
            what = f"Registration notice for {year} e-mailed to the learner"
        else:
            what = f"Registration letter for {year} printed (letters batch {n.batch})"
        rows.append(
            Row(f"{what}, SHA-256 {n.content_sha256[:12]}…", name(n.sent_by), n.sent_at, url)
        )
    return rows


register_section(
    "registration", "Registration", 10, registration_rows, permission=VIEW_REGISTRATIONS
)
register_section(
    "entry-check",
    "Entries checked against the class lists",
    12,
    entry_check_rows,
    permission=VIEW_REGISTRATIONS,
)
register_section(
    "notices",
    "What the learner was told about their registration",
    14,
    notice_rows,
    permission=VIEW_REGISTRATIONS,
)
