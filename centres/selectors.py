from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from accounts.permissions import scope
from accounts.roles import STAFF_ROLES

from .models import ArrangementPartner, Centre, CollaborativeArrangement, QualificationApproval
from .permissions import VIEW_ARRANGEMENTS, VIEW_REPORTS


def centre_summaries(user):
    """Per centre: learners on roll, programmes, open and overdue actions. One query."""
    today = timezone.localdate()
    return (
        scope(user, VIEW_REPORTS, Centre.objects.filter(is_active=True))
        .annotate(
            learners_on_roll=Count("learners", filter=Q(learners__on_roll=True), distinct=True),
            cohort_count=Count("cohorts", distinct=True),
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
        *arrangement.partners.current().values_list("centre_id", flat=True),
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


def visible_arrangements(user):
    """Arrangements the user's centres lead or were invited into (the one layer decides)."""
    return scope(
        user, VIEW_ARRANGEMENTS, CollaborativeArrangement.objects.select_related("lead_centre")
    ).order_by("name")


def sharing(arrangement, partners, quals) -> list[dict]:
    """What is shared with each partner, qualification by qualification, and why not.

    One query whatever the size: the approvals of every centre involved.
    """
    centres = {arrangement.lead_centre_id} | {p.centre_id for p in partners}
    approved = set(
        QualificationApproval.objects.filter(
            centre_id__in=centres, qualification_id__in=[q.qualification_id for q in quals]
        ).values_list("centre_id", "qualification_id")
    )
    rows = []
    for p in partners:
        cells = []
        for aq in quals:
            if aq.withdrawn_on:
                state, why = False, "withdrawn from the arrangement"
            elif p.status != ArrangementPartner.Status.ACCEPTED:
                state, why = False, p.get_status_display().lower()
            elif (arrangement.lead_centre_id, aq.qualification_id) not in approved:
                state, why = False, "the lead centre has not recorded its Pearson approval"
            elif (p.centre_id, aq.qualification_id) not in approved:
                state, why = False, f"{p.centre.name} has not recorded its Pearson approval"
            else:
                state, why = True, "shared"
            cells.append({"aq": aq, "shared": state, "why": why})
        rows.append({"partner": p, "cells": cells})
    return rows
