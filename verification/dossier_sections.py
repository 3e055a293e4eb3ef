"""The verification parts of a learner's dossier: the learner's work sampled for internal
verification with each IV record and its action, and Pearson's standards verification
samples that named the learner."""

from django.urls import reverse

from accounts.permissions import scope
from dossier.sections import Row, name, register_section

from .models_sampling import IVRecord, SampleItem
from .models_sv import SVSample
from .permissions import VIEW_IV_SAMPLING, VIEW_SV


def iv_rows(learner, viewer) -> list[Row]:
    rows = []
    items = scope(
        viewer, VIEW_IV_SAMPLING, SampleItem.objects.filter(learner_id=learner.pk)
    ).select_related("assignment__unit", "sampled_by")
    for item in items:
        rows.append(
            Row(
                f"Sampled for {item.get_stage_display().lower()} IV: “{item.assignment.title}” "
                f"(unit {item.assignment.unit.number}), {item.attempt}"
                + (f"; {item.reasons}" if item.reasons else ""),
                name(item.sampled_by),
                item.sampled_at,
                reverse("verification:iv_item", args=[item.pk]),
            )
        )
    records = scope(
        viewer, VIEW_IV_SAMPLING, IVRecord.objects.filter(item__learner_id=learner.pk)
    ).select_related("item__assignment", "verifier", "closed_by")
    for record in records:
        url = reverse("verification:iv_item", args=[record.item_id])
        title = f"“{record.item.assignment.title}”"
        what = f"IV {record.get_outcome_display().lower()} on {title}"
        if record.action:
            what += f"; action: {record.action}"
        rows.append(Row(what, name(record.verifier), record.recorded_at, url))
        if record.action_done_at:
            rows.append(Row(f"IV action on {title} done", "", record.action_done_at, url))
        if record.closed_at:
            rows.append(
                Row(f"IV action on {title} closed", name(record.closed_by), record.closed_at, url)
            )
    return rows


def sv_rows(learner, viewer) -> list[Row]:
    samples = scope(viewer, VIEW_SV, SVSample.objects.filter(learners=learner)).select_related(
        "visit__cohort__qualification", "requested_by", "work_submitted_by"
    )
    rows, released = [], set()
    for sample in samples:
        url = reverse("verification:sv_detail", args=[sample.visit_id])
        which = "first" if sample.number == 1 else "second"
        title = (
            f"the standards verifier's {which} sample for {sample.visit.cohort.qualification.title}"
        )
        rows.append(
            Row(
                f"Named in {title}",
                name(sample.requested_by),
                sample.learners_named_on or sample.requested_at,
                url,
            )
        )
        if sample.work_submitted_on:
            rows.append(
                Row(
                    f"Work sent for {title}",
                    name(sample.work_submitted_by),
                    sample.work_submitted_on,
                    url,
                )
            )
        visit = sample.visit
        status = visit.config.status(visit.status)
        if visit.pk not in released and status is not None and status.claims == "clear":
            # once a visit, however many of its samples named the learner
            released.add(visit.pk)
            rows.append(
                Row(
                    f"The standards verifier's report for "
                    f"{visit.cohort.qualification.title} {visit.academic_year} released "
                    f"({status.label}): certification can proceed",
                    visit.verifier_name,
                    visit.report_received_on,
                    url,
                )
            )
    return rows


register_section("iv", "Internal verification", 40, iv_rows, permission=VIEW_IV_SAMPLING)
register_section("sv", "Standards verification", 50, sv_rows, permission=VIEW_SV)
