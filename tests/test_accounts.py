"""Log-in, log-out, throttling, password change and reset by e-mail."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import Role


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_member_of_staff_logs_in_and_lands_on_the_dashboard(client, exams_officer, password):
    response = log_in(client, exams_officer.username, password)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, exams_officer):
    response = log_in(client, exams_officer.username, "not-the-password")
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_repeated_failures_lock_the_account_even_with_the_right_password(
    client, exams_officer, password, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, exams_officer.username, "wrong")
    response = log_in(client, exams_officer.username, password)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_log_out_needs_a_post_and_ends_the_session(client, exams_officer, password):
    log_in(client, exams_officer.username, password)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_change(client, exams_officer, password):
    client.force_login(exams_officer)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "a-new-Long-passphrase-26",
            "new_password2": "a-new-Long-passphrase-26",
        },
    )
    assert response.status_code == 302
    exams_officer.refresh_from_db()
    assert exams_officer.check_password("a-new-Long-passphrase-26")


def test_password_reset_by_email_end_to_end(client, cast):
    user = cast[Role.PROGRAMME_LEADER]
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "fresh-Passphrase-2026", "new_password2": "fresh-Passphrase-2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("fresh-Passphrase-2026")


def test_password_reset_does_not_reveal_whether_an_address_exists(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_one_person_can_hold_several_roles_at_several_centres(make_user, own_centre, other_centre):
    from accounts.permissions import has_perm, roles_of
    from audit.permissions import VIEW_AUDIT

    from .factories import RoleAssignmentFactory

    user = make_user("multi", Role.ASSESSOR_IV, Role.EXAMS_OFFICER, centre=own_centre)
    RoleAssignmentFactory(user=user, centre=other_centre, role=Role.GOVERNOR)
    assert roles_of(user, own_centre.pk) == {Role.ASSESSOR_IV, Role.EXAMS_OFFICER}
    assert has_perm(user, VIEW_AUDIT, own_centre.pk) and not has_perm(
        user, VIEW_AUDIT, other_centre.pk
    )
    assert roles_of(user, other_centre.pk) == {Role.GOVERNOR}


def test_centre_numbers_are_five_digits(db):
    from django.core.exceptions import ValidationError

    from centres.models import Centre

    for bad in ["1234", "123456", "12a45", "00000", ""]:
        with pytest.raises(ValidationError):
            Centre(number=bad, name="X").full_clean()
    Centre(number="40123", name="Good").full_clean()


def test_the_database_refuses_a_malformed_centre_number(db):
    from django.db import IntegrityError

    from centres.models import Centre

    with pytest.raises(IntegrityError):
        Centre.objects.create(number="12a45", name="Bad")


def test_admin_is_for_superusers_only(client, exams_officer, django_user_model):
    client.force_login(exams_officer)
    assert client.get("/admin/").status_code == 302
    root = django_user_model.objects.create_superuser(
        "root", "root@example.org", "x-very-long-pass"
    )
    client.force_login(root)
    assert client.get("/admin/").status_code == 200


def test_the_admin_cannot_change_or_delete_audit_events(client, django_user_model, exams_officer):
    import audit
    from audit.models import AuditEvent

    event = audit.record(exams_officer, "learners.learner.updated", exams_officer)
    root = django_user_model.objects.create_superuser(
        "root", "root@example.org", "x-very-long-pass"
    )
    client.force_login(root)
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # view only
    client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "tampered"})
    assert (
        client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.get(pk=event.pk).action == "learners.learner.updated"


def test_an_admin_edit_of_a_learner_goes_on_the_trail(client, django_user_model, own_centre):
    from audit.models import AuditEvent

    from .factories import LearnerFactory

    learner = LearnerFactory(centre=own_centre, first_name="Ada")
    root = django_user_model.objects.create_superuser(
        "root", "root@example.org", "x-very-long-pass"
    )
    client.force_login(root)
    url = f"/admin/learners/learner/{learner.pk}/change/"
    data = {
        "centre": own_centre.pk,
        "first_name": "Adah",
        "last_name": learner.last_name,
        "preferred_name": "",
        "date_of_birth": "17/05/2009",
        "sex": "F",
        "uln": "",
        "uci": "",
        "candidate_number": learner.candidate_number,
        "admission_number": "",
        "email": "",
        "on_roll": "on",
        "left_on": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="audit.admin_record.changed")
    assert event.learner_id == learner.pk and ("first_name", "Ada", "Adah") in event.changes()


def _our_apps() -> set[str]:
    """The project's own apps (every app under the checkout), so a new app is in at once."""
    from pathlib import Path

    from django.apps import apps

    root = Path(__file__).resolve().parent.parent
    return {
        c.label
        for c in apps.get_app_configs()
        if Path(c.path).resolve().is_relative_to(root) and ".venv" not in Path(c.path).parts
    }


def test_every_model_is_in_the_admin():
    """Superusers can at least read every record (issue: admin on every model)."""
    from django.apps import apps
    from django.contrib import admin

    ours = _our_apps()
    # A table edited as an inline of its parent (a grading table's rows) is in the admin too.
    from qualifications.admin import ROW_INLINES

    inlined = {i.model for i in ROW_INLINES.values()} | {
        i.model for a in admin.site._registry.values() for i in a.inlines
    }
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in ours and m not in admin.site._registry and m not in inlined
    ]
    assert missing == []


def test_every_admin_list_opens_for_a_superuser(client, django_user_model):
    from django.contrib import admin

    ours = _our_apps()
    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-12345678")
    client.force_login(boss)
    for model in admin.site._registry:
        if model._meta.app_label in ours:
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            assert client.get(url).status_code == 200, url
