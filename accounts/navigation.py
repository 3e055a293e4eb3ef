"""The navigation bar: each entry shows only to people whose roles grant its permission."""

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from .permissions import has_perm

# (label, url name, permission). Apps add their entries here as they arrive.
MENU = [
    ("Dashboard", "dashboard", None),
    ("Learners", "learners:learner_list", "learners.view_learners"),
    ("Cohorts", "learners:cohort_list", "learners.view_learners"),
    ("Import from MIS", "learner_imports:upload", "learners.import_learners"),
    ("Qualifications", "catalogue:qualification_list", "qualifications.view_catalogue"),
    ("Registrations", "registrations:round_list", "registrations.view"),
    ("Arrangements", "centres:arrangement_list", "centres.view_arrangements"),
    ("Assessment plans", "assessment:plan_list", "assessment.view_plans"),
    ("Lead IVs", "verification:lead_iv_list", "verification.view_lead_ivs"),
    (
        "Standardisation",
        "verification:standardisation_list",
        "verification.view_standardisation",
    ),
    ("Standards verification", "verification:sv_list", "verification.view_sv"),
    ("IV sampling", "verification:sampling_home", "verification.view_iv_sampling"),
    ("Centre summary", "centres:summary", "centres.view_reports"),
    (
        "Annual Quality Declaration",
        "declarations:declaration_list",
        "declarations.view_declaration",
    ),
    ("Arrangement reviews", "declarations:review_list", "declarations.view_arrangement_reviews"),
    ("The year's calendar", "calendar_reminders:calendar", "calendar_reminders.view_calendar"),
    ("Audit trail", "audit:event_list", "audit.view_events"),
    ("Policy register", "policies:register", "policies.view_register"),
    ("Verifier access", "accounts:grant_list", "accounts.view_verifier_grants"),
]


_URLS: dict[tuple, str] = {}


def _url(name: str) -> str:
    """reverse(name), once per URL configuration and script prefix (every page draws the menu)."""
    key = (name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    if key not in _URLS:
        _URLS[key] = reverse(name)
    return _URLS[key]


def menu_for(user, current: str | None = None) -> list[dict]:
    """The entries the user may open; `current` (the page's URL name) marks its own."""
    return [
        {"label": label, "url": _url(name), "name": name, "current": name == current}
        for label, name, perm in MENU
        if perm is None or has_perm(user, perm)
    ]


# Internal verification of assessment decisions (000-3.2.1).
MENU.extend(
    [
        ("IV queue", "verification:iv_queue", "verification.record_iv"),
        ("IV actions", "verification:iv_actions", "verification.answer_iv_action"),
        ("IV flags", "verification:iv_flags", "verification.clear_flag"),
    ]
)

# Pearson's results file for external units (004-cert-4).
MENU.append(("Import results", "claims:results_import", "claims.import_results"))

# The yearly audit of certification claims (004-duty-6).
MENU.append(("Claims audit", "claims:audit_list", "claims.view_claims_audit"))
# Certificates received, checked, issued and held (004-cert-5, 004-cert-6, 004-duty-7).
MENU.append(("Certificates", "certification:batches", "certification.view_certificates"))
# Retention: what falls due for disposal, approvals and legal holds (004-duty-8).
MENU.append(("Retention", "retention:index", "retention.view_retention"))
# The Quality Nominee's yearly policy monitoring report (000-4).
MENU.append(("Policy monitoring", "policies:monitoring_list", "policies.view_monitoring_report"))
