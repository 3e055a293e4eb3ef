"""Pearson's checklist for internally verifying an assignment brief (domain.md §3.3), as data:
the form, the checks and the PDF all read these items, never their own copies."""

BRIEF_CHECKLIST: tuple[tuple[str, str], ...] = (
    ("details", "The programme and unit details are correct"),
    ("deadlines", "The hand-in deadlines are clear"),
    ("timeframe", "The time frame for the assignment is sensible"),
    ("scenario", "The vocational scenario or context is suitable"),
    ("criteria_quoted", "The criteria are quoted accurately"),
    ("tasks_criteria", "Each task shows which criteria it covers"),
    ("all_grades", "The tasks meet the unit's assessment requirements and allow every grade"),
    ("paab", "Whether it is a Pearson Authorised Assignment Brief, and any amendment, is stated"),
    ("acs", "Whether it went through Pearson's Assignment Checking Service is stated"),
)

CHECKLIST_KEYS = tuple(key for key, _ in BRIEF_CHECKLIST)
