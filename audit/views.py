from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.permissions import get_object, requires, scope

from .filters import AuditEventFilter
from .models import AuditEvent
from .permissions import VIEW_AUDIT

PAGE_SIZE = 50


@requires(VIEW_AUDIT)
def event_list(request):
    events = scope(request.user, VIEW_AUDIT, AuditEvent.objects.all())
    filterset = AuditEventFilter(request.GET or None, queryset=events)
    qs = filterset.qs if filterset.is_bound else events
    page = Paginator(qs.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


@requires(VIEW_AUDIT)
def event_detail(request, seq: int):
    event = get_object(request.user, VIEW_AUDIT, AuditEvent.objects.all(), seq=seq)
    return render(request, "audit/event_detail.html", {"event": event})
