"""factory_boy factories that keep related objects consistent."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from accounts.models import RoleAssignment
from accounts.permissions import forget_access
from centres.models import Centre
from learners.models import Cohort, Learner, TeachingGroup
from qualifications.models import Qualification

PASSWORD = "correct-horse-battery-staple"


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"{50000 + n:05d}")
    name = factory.Sequence(lambda n: f"Testwood School {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    role = "exams_officer"

    @factory.post_generation
    def verifier_ready(obj, create, extracted, **kwargs):
        """A Standards Verifier holds the role through a live grant (naming no cohort: they
        see nothing) and has an authenticator app, as the grant and first sign-in leave them."""
        if create and obj.role == "standards_verifier" and extracted is not False:
            verifier_ready(obj.user, obj.centre)


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification
        django_get_or_create = ("number",)

    title = factory.Sequence(
        lambda n: f"Pearson BTEC Level 3 National Extended Certificate in Testing {n}"
    )
    number = factory.Sequence(lambda n: f"600/{n:04d}/1")
    level = "3"
    glh = 360


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort
        django_get_or_create = ("qualification", "centre", "start_year")

    qualification = factory.SubFactory(QualificationFactory)
    centre = factory.SubFactory(CentreFactory)
    start_year = "2026/27"


class LearnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Learner

    centre = factory.SubFactory(CentreFactory)
    first_name = factory.Sequence(lambda n: f"Learner{n}")
    last_name = "Example"
    date_of_birth = dt.date(2009, 5, 17)
    sex = "F"
    candidate_number = factory.Sequence(lambda n: f"{(n % 9999) + 1:04d}")


class TeachingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeachingGroup

    cohort = factory.SubFactory(CohortFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    delivering_centre = factory.SelfAttribute("cohort.centre")


def approve(centre, *qualifications):
    """Record the centre's own Pearson approval for each qualification (as its QN would)."""
    from centres.models import QualificationApproval

    recorder = UserFactory(username=f"approver_{centre.number}")
    for q in qualifications:
        QualificationApproval.objects.get_or_create(
            centre=centre,
            qualification=q,
            defaults={
                "approved_on": dt.date(2025, 6, 1),
                "reference": f"APP-{centre.number}-{q.pk}",
                "recorded_by": recorder,
            },
        )


def centre_qn(centre):
    """A Quality Nominee at the centre (made once), who answers invitations for it."""
    user = UserFactory(username=f"qn_{centre.number}")
    RoleAssignment.objects.get_or_create(user=user, centre=centre, role="quality_nominee")
    forget_access(user)
    return user


def join(arrangement, centre, *, by=None):
    """Invite the centre (by the lead centre's QN) and accept (by the centre's own QN)."""
    from centres import services

    partner = services.invite_partner(
        arrangement, centre=centre, by=by or centre_qn(arrangement.lead_centre)
    )
    return services.accept_invitation(partner, by=centre_qn(centre))


def make_uln(n: int) -> str:
    """A valid ULN (DfE check digit) for each n, different for different n."""
    while True:
        prefix = f"{400000000 + n:09d}"
        r = sum(int(prefix[i]) * (10 - i) for i in range(9)) % 11
        if r:
            return prefix + str(10 - r)
        n += 10_000_000


# --- tracking


def register_on(cohort, learner, status="registered"):
    """A live registration of the learner on the cohort (what puts them on its sheet)."""
    from registrations.models import Registration

    return Registration.objects.create(
        learner=learner, cohort=cohort, centre=cohort.centre, status=status
    )


def planned_assignment(cohort, unit, codes, *, assessor, verifier, title="Assignment"):
    """An assignment on the cohort's plan covering these criteria of the unit."""
    from assessment.models import AssessmentPlan, PlannedAssignment

    plan, _ = AssessmentPlan.objects.get_or_create(cohort=cohort, academic_year=cohort.start_year)
    day = dt.date(2026, 10, 1)
    assignment = PlannedAssignment.objects.create(
        plan=plan,
        unit=unit,
        title=title,
        method="written_report",
        assessor=assessor,
        internal_verifier=verifier,
        hand_out=day,
        hand_in=day,
        brief_iv_by=day,
        resubmission_by=day,
        decisions_iv_by=day,
    )
    assignment.criteria.set(unit.criteria.filter(code__in=codes))
    return assignment


def decide(learner, assignment, codes, *, achieved=True, verified=False):
    """Current decisions on these criteria of the assignment, made directly."""
    from django.utils import timezone

    from assessment.models import CriterionDecision

    made = []
    for criterion in assignment.criteria.filter(code__in=codes):
        made.append(
            CriterionDecision.objects.create(
                learner=learner,
                assignment=assignment,
                criterion=criterion,
                achieved=achieved,
                assessor=assignment.assessor,
                verified_at=timezone.now() if verified else None,
            )
        )
    return made


# --- assessment plans (plans2) -------------------------------------------------------------


def unit_with_criteria(qualification, number, codes, *, mandatory=True, internal=True):
    """A unit of `qualification` with these criterion codes (e.g. "A.P1")."""
    from qualifications.models import AssessmentCriterion, Unit

    unit = Unit.objects.create(
        qualification=qualification,
        number=str(number),
        title=f"Unit {number} topic",
        glh=60,
        assessment=Unit.Assessment.INTERNAL if internal else Unit.Assessment.EXTERNAL,
        mandatory=mandatory,
    )
    for code in codes:
        AssessmentCriterion.objects.create(unit=unit, code=code)
    return unit


def planned_row(plan, unit, *, assessor, iv, criteria=None, title=None, **dates):
    """A PlannedAssignment on `plan` with dates in order (override any of them)."""
    from assessment.models import PlannedAssignment

    day = dt.date(2026, 10, 1)
    values = {
        "brief_iv_by": day,
        "hand_out": day + dt.timedelta(days=1),
        "hand_in": day + dt.timedelta(days=30),
        "resubmission_by": day + dt.timedelta(days=45),
        "decisions_iv_by": day + dt.timedelta(days=40),
        **dates,
    }
    row = PlannedAssignment.objects.create(
        plan=plan,
        unit=unit,
        title=title or f"Assignment for Unit {unit.number}",
        method="written_report",
        assessor=assessor,
        internal_verifier=iv,
        **values,
    )
    row.criteria.set(unit.criteria.all() if criteria is None else criteria)
    return row


# --- decisions
def decisions_assignment(
    centre=None,
    *,
    criteria=("A.P1", "A.P2", "A.M1", "A.D1"),
    assessor=None,
    iv=None,
    cohort=None,
    unit=None,
    hand_in=dt.date(2026, 11, 2),
    status="approved",
    title="Task 1",
):
    """An approved plan's PlannedAssignment with a unit and criteria, made with models
    directly (plans are another helper's). The assessor and IV hold Assessor/IV at the
    centre; pass `cohort` or `unit` to add a second assignment to the same plan or unit."""
    from assessment.models import AssessmentPlan, PlannedAssignment
    from qualifications.models import AssessmentCriterion, LearningAim, Unit

    cohort = cohort or CohortFactory(centre=centre or CentreFactory())
    centre = cohort.centre
    if assessor is None:
        assessor = UserFactory()
        RoleAssignmentFactory(user=assessor, centre=centre, role="assessor_iv")
    if iv is None:
        iv = UserFactory()
        RoleAssignmentFactory(user=iv, centre=centre, role="assessor_iv")
    plan, _ = AssessmentPlan.objects.get_or_create(
        cohort=cohort, academic_year=cohort.start_year, defaults={"status": status}
    )
    if unit is None:
        unit = Unit.objects.create(
            qualification=cohort.qualification,
            number=str(Unit.objects.filter(qualification=cohort.qualification).count() + 1),
            title="Decisions unit",
            glh=60,
            assessment="internal",
        )
        aim = LearningAim.objects.create(unit=unit, code="A", label="Aim A")
        for code in criteria:
            AssessmentCriterion.objects.create(unit=unit, learning_aim=aim, code=code)
    assignment = PlannedAssignment.objects.create(
        plan=plan,
        unit=unit,
        title=title,
        method="written_report",
        assessor=assessor,
        internal_verifier=iv,
        hand_out=hand_in - dt.timedelta(days=28),
        hand_in=hand_in,
        brief_iv_by=hand_in - dt.timedelta(days=35),
        resubmission_by=hand_in + dt.timedelta(days=30),
        decisions_iv_by=hand_in + dt.timedelta(days=40),
    )
    assignment.criteria.set(unit.criteria.all())
    return assignment


def decisions_class(assignment, n: int, *, group=None):
    """n learners in a teaching group of the assignment's cohort."""
    cohort = assignment.plan.cohort
    group = group or TeachingGroupFactory(cohort=cohort)
    learners = LearnerFactory.create_batch(n, centre=cohort.centre)
    group.learners.add(*learners)
    return learners


def verifier_ready(user, centre, cohorts=(), expires_on=dt.date(2099, 12, 31)):
    """Give `user` a live Standards Verifier grant at `centre` and a confirmed TOTP device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import VerifierGrant

    grantor = UserFactory(username=f"sv_grantor_{centre.number}")
    grant = VerifierGrant.objects.create(
        centre=centre, user=user, expires_on=expires_on, granted_by=grantor
    )
    grant.cohorts.set(cohorts)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    forget_access(user)
    return grant


def mark_second_factor(client, user) -> None:
    """The session has given the authenticator code, as the verify page leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
