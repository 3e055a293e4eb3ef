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

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    role = "exams_officer"


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
