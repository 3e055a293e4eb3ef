"""The demo's Tech Award: the shipped Tech Award and a Year 10 class starting it this year.

A school delivers Tech Awards beside the Nationals (domain.md 2.2). Its Components 1 and 2
are Pearson Set Assignments, marked against each series' raw-mark boundaries; those are
UNCONFIRMED and not shipped, so the demo records no marks: it shows the cohort and its
series, ready for the boundaries to be entered from Pearson's marks converter.
"""

from __future__ import annotations

# Learner numbers far from the Nationals' intakes (below demo.UNIQUE_NAMES), so names,
# candidate numbers and ULNs stay unique across the demo.
FIRST_N, CLASS_SIZE = 400, 12


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """The Tech Award's class was started with the year's intake (start_tech_award)."""
    return 0


def start_tech_award(centres, users, year) -> dict:
    """Load the shipped Tech Award and start a Year 10 cohort on it at the lead centre,
    with the year's intake, so the round enters its learners like the Nationals'."""
    from assessment.services_tech_award import load_shipped_tech_awards
    from learners.models import Cohort, TeachingGroup
    from learners.services import save_cohort, save_teaching_group

    from .demo import _demo_learner, demo_date_of_birth

    start = int(year[:4])
    (result,) = load_shipped_tech_awards()
    award = result.qualification
    lead = centres["lead"]
    cohort = save_cohort(
        Cohort(qualification=award, centre=lead, start_year=year, years=2, leader=users["pl"]),
        optional_units=[],
        by=users["eo"],
    )
    learners = []
    for i in range(CLASS_SIZE):
        n = FIRST_N + i
        # Year 10: two years younger than the Nationals' Year 12.
        born = demo_date_of_birth(n, start - 2)
        learners.append(_demo_learner(lead, f"{3000 + i:04d}", n, start, born=born))
    save_teaching_group(
        TeachingGroup(
            cohort=cohort,
            academic_year=year,
            name=f"{year[2:4]}DIT-L",
            delivering_centre=lead,
        ),
        learners=learners,
        by=users["admin"],
    )
    return {("lead", award.number, year): cohort}
