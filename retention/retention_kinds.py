"""The retained kinds of assessment and verification, declared in one place.

They live here rather than in each app because retention sits above those apps: assessment
and verification need not import retention (nor change when retention does), and a new kind
is one `register_kind` call naming the model's own paths. Each `dispose` removes the files
and personal text of the records it is given, inside the caller's transaction.
"""

from __future__ import annotations

from .clocks import LEARNER_WORK, QA_RECORDS
from .registry import register_kind


def _delete(qs) -> None:
    qs.delete()


def _brief_files(qs) -> None:
    from assessment.models_briefs import BriefVersion

    versions = BriefVersion.objects.filter(brief__in=qs)
    for version in versions.exclude(file="").only("pk", "file").iterator():
        version.file.delete(save=False)
    versions.update(file="", file_name="", sha256="", size=0)


def _decision_text(qs) -> None:
    qs.update(feedback="", reason="")


def _iv_text(qs) -> None:
    qs.update(comments="", action="", closing_note="")


def _sv_contact(qs) -> None:
    qs.update(verifier_name="", verifier_email="", verifier_phone="", notes="")


def _models():
    from assessment.models import CriterionDecision, Submission
    from assessment.models_briefs import AssignmentBrief
    from verification.models import IVRecord, SVVisit

    return Submission, CriterionDecision, AssignmentBrief, IVRecord, SVVisit


Submission, CriterionDecision, AssignmentBrief, IVRecord, SVVisit = _models()

SUBMISSION = register_kind(
    "assessment.submission",
    "Learner's hand-in",
    Submission,
    LEARNER_WORK,
    centre="learner__centre",
    learner="learner",
    also=("assignment__plan__cohort__centre",),
    dispose=_delete,
)
BRIEF = register_kind(
    "assessment.brief",
    "Assignment brief and its files",
    AssignmentBrief,
    QA_RECORDS,
    centre="assignment__plan__cohort__centre",
    cohort="assignment__plan__cohort",
    dispose=_brief_files,
)
DECISION = register_kind(
    "assessment.decision",
    "Assessment decision",
    CriterionDecision,
    QA_RECORDS,
    centre="learner__centre",
    learner="learner",
    also=("assignment__plan__cohort__centre",),
    dispose=_decision_text,
)
IV_RECORD = register_kind(
    "verification.iv_record",
    "Internal verification record",
    IVRecord,
    QA_RECORDS,
    centre="item__plan__cohort__centre",
    learner="item__learner",
    also=("item__learner__centre",),
    dispose=_iv_text,
)
SV_RECORD = register_kind(
    "verification.sv_visit",
    "Standards verification record",
    SVVisit,
    QA_RECORDS,
    centre="cohort__centre",
    cohort="cohort",
    dispose=_sv_contact,
)
