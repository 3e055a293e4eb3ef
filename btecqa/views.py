from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.permissions import public, roles_of, signed_in
from jobs.selectors import finished_for
from registrations.selectors_check import dashboard_entry_checks
from todos.selectors import dashboard_reading, dashboard_todos


@signed_in
def dashboard(request):
    context = dashboard_todos(request.user)
    context["roles"] = sorted(
        {
            (a.centre.name, a.get_role_display())
            for a in request.user.role_assignments.select_related("centre")
        }
    )
    context["has_roles"] = bool(roles_of(request.user)) or request.user.is_superuser
    context["entry_checks"] = dashboard_entry_checks(request.user, timezone.localdate())
    reading = dashboard_reading(request.user)
    # What finished in the background for this person: a result to read (jobs/).
    reading["jobs"] = finished_for(request.user)
    reading["any"] = reading["any"] or bool(reading["jobs"])
    context["reading"] = reading
    return render(request, "dashboard.html", context)


def _check_database() -> tuple[bool, str]:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # any failure means "down" to a load balancer
        return False, f"error: {type(exc).__name__}"


def _check_broker() -> tuple[bool, str] | None:
    if not settings.REDIS_URL:
        return None
    try:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        return True, "ok"
    except Exception as exc:
        return False, f"error: {type(exc).__name__}"


@public
@never_cache
def healthz(request):
    """For load balancers and container health checks: no log-in, no HTML."""
    db_ok, db_status = _check_database()
    body = {"status": "ok", "database": db_status}
    broker = _check_broker()
    if broker is not None:
        body["broker"] = broker[1]
    healthy = db_ok and (broker is None or broker[0])
    if not healthy:
        body["status"] = "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)
