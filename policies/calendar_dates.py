"""The yearly monitoring report's date in the year's calendar (calendar_reminders): the
Quality Nominee signs last year's report by the autumn date of yearly configuration
(services_monitoring.monitoring_due), ready for Pearson; the to-do closes once signed."""

from accounts.roles import Role
from calendar_reminders.registry import register_calendar_date


def monitoring_date(centre, academic_year):
    from .services_monitoring import monitoring_due

    return monitoring_due(academic_year)


def monitoring_done(centre, academic_year) -> bool:
    from .services_monitoring import previous_year, report_signed

    return report_signed(centre, previous_year(academic_year))


MONITORING_DATE = register_calendar_date(
    "policies.monitoring",
    "Policy monitoring report on the year just ended, signed for Pearson",
    Role.QUALITY_NOMINEE,
    monitoring_date,
    30,
    done=monitoring_done,
)
