"""Who reads the certificates Pearson sends, and who records them (004-cert-5, 004-cert-6)."""

from accounts.permissions import register
from accounts.roles import STAFF_ROLES, Role

VIEW_CERTIFICATES = register(
    "certification.view_certificates",
    STAFF_ROLES,
    writes=False,
    description=(
        "Read the certificate batches Pearson sent, each certificate, the differences found "
        "against the submitted claims, and who collected or was sent each certificate."
    ),
)

RECORD_CERTIFICATES = register(
    "certification.record_certificates",
    {Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "The exams officer records certificates received (keyed or imported), reports the "
        "differences to Pearson, issues certificates to learners and records the secure "
        "destruction of unclaimed ones."
    ),
)
