from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from accounts.permissions import scope
from accounts.roles import STAFF_ROLES

from .models import Centre
from .permissions import VIEW_REPORTS


def centre_summaries(user):
    """Per centre: learners on roll, programmes, open and overdue actions. One query."""
    today = timezone.localdate()
    return (
        scope(Centre.objects.filter(is_active=True), user, VIEW_REPORTS, centre_field="id")
        .annotate(
            learners_on_roll=Count("learners", filter=Q(learners__on_roll=True), distinct=True),
            programme_count=Count("programmes", distinct=True),
            open_actions=Count("todos", filter=Q(todos__closed_at__isnull=True), distinct=True),
            overdue_actions=Count(
                "todos",
                filter=Q(todos__closed_at__isnull=True, todos__due_date__lt=today),
                distinct=True,
            ),
        )
        .order_by("name")
    )


def arrangement_staff(arrangement):
    """Active staff holding a role at the lead centre or a current partner centre."""
    centres = [
        arrangement.lead_centre_id,
        *arrangement.partners.filter(withdrawn_on__isnull=True).values_list("centre_id", flat=True),
    ]
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__centre_id__in=centres,
            role_assignments__role__in=list(STAFF_ROLES),
        )
        .distinct()
        .order_by("last_name", "first_name")
    )
