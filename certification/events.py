"""What the trail says about certificates, and the to-dos they open."""

from accounts.roles import Role
from audit.actions import register_action
from todos.kinds import ASSIGNEE, register_kind

# A previewed certificates file nobody confirmed: owed by its uploader until it is
# confirmed or discarded, or a later one of theirs at the centre is (services_import).
CONFIRM_IMPORT = register_kind(
    "certification.confirm_import",
    "Confirm the previewed certificates file, or discard it",
    owner=ASSIGNEE,
    due_days=7,
    link="certification:import",
)
REPORT_EXCEPTION = register_kind(
    "certification.report_exception",
    "Report a certificate difference to Pearson, and wait for the amended certificate",
    owner=Role.EXAMS_OFFICER,
    due_days=14,
    link="certification:exception",
)
# Certificates received and held until each is collected or posted (policy cert-6): one
# to-do per batch, due BTECQA_CERTIFICATE_DISPATCH_DAYS after it arrived, closed when none
# of the batch is held any more (issued, or destroyed unclaimed after the holding period).
ISSUE_CERTIFICATES = register_kind(
    "certification.issue_certificates",
    "Issue the certificates received to their learners",
    owner=Role.EXAMS_OFFICER,
    due_days=14,
    link="certification:batch",
)
DESTROY_UNCLAIMED = register_kind(
    "certification.destroy_unclaimed",
    "Securely destroy unclaimed certificates past their holding period",
    owner=Role.EXAMS_OFFICER,
    due_days=30,
    link="certification:destruction",
)

_ = register_action
BATCH_RECORDED = _(
    "certification.batch.recorded",
    "Certificate batch recorded",
    "{actor} recorded the certificate batch {object}",
)
CERTIFICATE_RECEIVED = _(
    "certification.certificate.received",
    "Certificate received",
    "{actor} recorded {learner}'s certificate {object} as received from Pearson",
)
EXCEPTION_FOUND = _(
    "certification.exception.found",
    "Certificate difference found",
    "{actor} found a difference on a certificate: {object}",
)
EXCEPTION_REPORTED = _(
    "certification.exception.reported",
    "Certificate difference reported to Pearson",
    "{actor} reported to Pearson: {object}",
)
EXCEPTION_RESOLVED = _(
    "certification.exception.resolved",
    "Certificate difference resolved",
    "{actor} recorded the amended certificate that resolves: {object}",
)
CERTIFICATE_ISSUED = _(
    "certification.certificate.issued",
    "Certificate issued",
    "{actor} issued {learner}'s certificate {object}",
)
CERTIFICATE_DESTROYED = _(
    "certification.certificate.destroyed",
    "Unclaimed certificate destroyed",
    "{actor} recorded the secure destruction of the unclaimed certificate {object}",
)
DETAILS_REMOVED = _(
    "certification.certificate.details_removed",
    "Destruction log details removed",
    "{actor} removed the personal details from the destruction log of {object}",
)
IMPORT_COMMITTED = _(
    "certification.import.committed",
    "Certificate file imported",
    "{actor} imported the certificate file {object}",
)
IMPORT_DISCARDED = _(
    "certification.import.discarded",
    "Certificate file preview discarded",
    "{actor} discarded the preview of the certificate file {object}",
)
