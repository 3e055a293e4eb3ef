"""The IV record pages' part of the URL × role × centre matrix (000-3.2.1).

Each site gets an assignment on its cohort assessed by the site's Assessor/IV and verified
by its Lead IV, an IV plan, one sampled item still to verify, one with a disagreement
whose action the assessor said is done, and the cohort flag that disagreement raised.
"""

import datetime as dt

from accounts.roles import Role


def fill(world, key, site) -> None:
    from django.utils import timezone

    from tests.factories import decide, decisions_assignment
    from verification.models_sampling import DecisionFlag, IVPlan, IVRecord, SampleItem

    assessor, iv = world.user(key, Role.ASSESSOR_IV), world.user(key, Role.LEAD_IV)
    a = decisions_assignment(
        cohort=site.cohort, assessor=assessor, iv=iv, title=f"IV matrix task {site.key}"
    )
    plan, _ = IVPlan.objects.get_or_create(
        cohort=site.cohort, academic_year=a.plan.academic_year, defaults={"created_by": iv}
    )
    # sampled work has decisions (so the plan keeps the row: remove_assignment refuses it)
    decide(site.learner, a, ["A.P1"])
    common = {"plan": plan, "learner": site.learner, "assignment": a, "sampled_by": iv}
    site.extra["iv_item"] = SampleItem.objects.create(stage="summative", **common)
    disagreed = SampleItem.objects.create(stage="interim", **common)
    record = IVRecord.objects.create(
        item=disagreed,
        verifier=iv,
        outcome="disagree",
        action="Matrix action",
        action_due=dt.date(2026, 12, 1),
        action_done_at=timezone.now(),
    )
    site.extra["iv_record"] = record
    site.extra["iv_flag"] = DecisionFlag.objects.create(
        cohort=site.cohort, assignment=a, assessor=assessor, raised_by=record
    )


def makers(site) -> dict:
    from verification.models_sampling import DecisionFlag, IVRecord, SampleItem

    def item(s):
        return {"pk": s.extra["iv_item"].pk}

    def record(s):
        return {"pk": s.extra["iv_record"].pk}

    return {
        "verification:iv_item": site(item, SampleItem),
        "verification:iv_record": site(item, SampleItem),
        "verification:iv_action_done": site(record, IVRecord),
        "verification:iv_action_close": site(record, IVRecord),
        "verification:iv_flag_clear": site(lambda s: {"pk": s.extra["iv_flag"].pk}, DecisionFlag),
    }
