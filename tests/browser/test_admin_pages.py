"""Every Django admin page a superuser opens loads under the site's CSP (no 'unsafe-inline')
with no accessibility violations: the log-in, the index, each app's page, the password
pages, and for every registered model its changelist, its add form (where adding is
allowed) and the change form of one row.

The demo fills most tables; a model it leaves empty gets one plain row, so every change
form is opened. Where a form has inline rows, "Add another" is clicked and the page checked
again, since the admin's scripts build those rows after the page has loaded."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

from .conftest import assert_no_axe_violations, fill_login_form


def _plain_value(field, nth: int = 0):
    if field.choices:
        return field.choices[0][0]
    if field.is_relation:
        # The second link to the same table takes the second row (an assignment's
        # assessor and its internal verifier must be different people).
        related = field.related_model._default_manager.order_by("pk")
        return related[nth] if related.count() > nth else related.first()
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return timezone.localdate()
    if isinstance(field, models.IntegerField):
        return 1
    if isinstance(field, models.BooleanField):
        return False
    return "x"


def _needs_value(field) -> bool:
    optional = field.null or field.blank or field.has_default() or field.primary_key
    automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    return not (optional or automatic)


def _one_row_in_each_empty_model() -> None:
    """A row in every registered table the demo leaves empty, its required fields filled
    with the first choice, the first related row, today, 1 or "x"."""
    for model in admin.site._registry:
        if not model._default_manager.exists():
            row, links = model(), {}
            for field in filter(_needs_value, model._meta.concrete_fields):
                nth = links[field.related_model] = links.get(field.related_model, -1) + 1
                setattr(row, field.name, _plain_value(field, nth if field.is_relation else 0))
            row.save()


def _admin_pages(superuser) -> list[tuple[str, str]]:
    """(what, path) for every admin page the brief names, as this superuser sees them."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    pages = {
        reverse("admin:index"): "the admin index",
        reverse("admin:password_change"): "changing one's own password",
        reverse("admin:auth_user_password_change", args=[superuser.pk]): "setting a password",
    }
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        pages.setdefault(reverse("admin:app_list", args=[opts.app_label]), f"{opts.app_label}")
        pages[reverse(f"{name}_changelist")] = f"{opts.label} changelist"
        if model_admin.has_add_permission(request):
            pages[reverse(f"{name}_add")] = f"{opts.label} add form"
        row = model._default_manager.order_by("pk").first()
        pages[reverse(f"{name}_change", args=[row.pk])] = f"{opts.label} change form"
    return [(what, path) for path, what in pages.items()]


@pytest.fixture
def superuser(transactional_db):
    from accounts.models import User

    call_command("load_demo")
    _one_row_in_each_empty_model()
    return User.objects.create_superuser("root", "root@example.invalid", PASSWORD)


def _findings(page, browser_log, failed_loads, seen: tuple[int, int]) -> list[str]:
    """What went wrong on the page since the console held `seen` lines and errors: CSP
    violations, script errors, files that did not load, and axe's findings."""
    found = [m for m in browser_log.messages[seen[0] :] if "content security policy" in m.lower()]
    found += browser_log.page_errors[seen[1] :]
    found += failed_loads
    try:
        assert_no_axe_violations(page)
    except pytest.fail.Exception as exc:
        found.append(str(exc))
    return found


def test_every_admin_page_loads_without_csp_violations_or_axe_findings(
    page, site, superuser, browser_log
):
    failed_loads: list[str] = []
    page.on(
        "response",
        lambda r: failed_loads.append(f"{r.status} for {r.url}") if r.status >= 400 else None,
    )
    page.goto(f"{site}/admin/login/")
    problems = [
        f"the admin log-in: {f}" for f in _findings(page, browser_log, failed_loads, (0, 0))
    ]
    fill_login_form(page, superuser.username, PASSWORD)
    page.wait_for_url(f"{site}/admin/")

    pages = _admin_pages(superuser)
    assert len([p for p in pages if p[0].endswith("change form")]) == len(admin.site._registry)
    for what, path in pages:
        seen = (len(browser_log.messages), len(browser_log.page_errors))
        failed_loads.clear()
        page.goto(f"{site}{path}")
        page.wait_for_load_state("load")
        found = _findings(page, browser_log, failed_loads, seen)
        add_rows = page.locator(".add-row a:visible")
        if not found and add_rows.count():
            for link in add_rows.all():
                link.click()
            found = [f"after 'Add another': {f}" for f in _findings(page, browser_log, [], seen)]
        problems += [f"{what} ({path}): {f}" for f in found]
    assert not problems, "\n".join(problems)
