"""Who reads the year's calendar of a centre."""

from accounts.permissions import register
from accounts.roles import Role

VIEW_CALENDAR = register(
    "calendar_reminders.view_calendar",
    {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.HEAD_OF_CENTRE, Role.CENTRE_ADMIN},
    writes=False,
    description=(
        "Read the centre's calendar for the year: each date of the BTEC year (entries, the "
        "entry check, the Annual Quality Declaration, SV sampling, claims, policy reviews), "
        "its reminder days and the to-do it opened."
    ),
)
