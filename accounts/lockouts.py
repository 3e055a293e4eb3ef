"""Log-in throttling that cannot be turned against someone else (django-axes, configured here).

* The client's address is the real one: behind the TLS proxy (BEHIND_TLS_PROXY), the address
  the proxy appended to X-Forwarded-For, read only when the request comes from a trusted proxy
  address; otherwise REMOTE_ADDR, and X-Forwarded-For is ignored, since anyone can send it.
  Keyed on the proxy's own address, five wrong passwords from anywhere would lock a named
  person out for everyone.
* Two limits (settings): AXES_FAILURE_LIMIT failures of one username from one address, and
  BTECQA_LOGIN_FAILURES_PER_ADDRESS failures from one address across all usernames, which is
  what trying one password on many accounts looks like. Either locks for AXES_COOLOFF_TIME.
* A successful log-in clears only that username's failures from that address, so an attacker
  with one good account cannot wipe the per-address count by signing in to it.
* The locked-out page says when the person can try again, in the centre's time zone.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone


def _address(text: str | None) -> str | None:
    """The address in one X-Forwarded-For entry or REMOTE_ADDR: "1.2.3.4", "1.2.3.4:5678",
    "[2001:db8::1]:443" or "2001:db8::1"; None if it is not one."""
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _trusted(remote: str | None) -> bool:
    if remote is None:
        return False
    ip = ipaddress.ip_address(remote)
    return any(ip in ipaddress.ip_network(n, strict=False) for n in settings.BTECQA_TRUSTED_PROXIES)


def client_address(request) -> str | None:
    """The address a log-in attempt really came from (AXES_CLIENT_IP_CALLABLE)."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    if not settings.BTECQA_BEHIND_TLS_PROXY or not _trusted(remote):
        return remote
    # Each proxy appends the address it was connected from; a client may put anything in
    # front. So count from the right: the entry our nearest proxy added is the last one.
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    count = max(settings.BTECQA_TRUSTED_PROXY_COUNT, 1)
    if len(hops) < count:
        return remote
    return _address(hops[-count]) or remote


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a second limit: one address across usernames.

    AXES_LOCKOUT_PARAMETERS is [["username", "ip_address"], "ip_address"]: the first query
    set is this username from this address, the second every username from this address.
    """

    def _failures(self, request, credentials=None) -> tuple[int, int]:
        pair, address = self.get_user_attempts(request, credentials)
        return tuple(
            qs.aggregate(n=Sum("failures_since_start"))["n"] or 0 for qs in (pair, address)
        )

    def get_failures(self, request, credentials=None) -> int:
        # Axes compares one number with AXES_FAILURE_LIMIT: an address over its own limit
        # counts as that limit reached for whichever username it tries next.
        pair, address = self._failures(request, credentials)
        if address >= settings.BTECQA_LOGIN_FAILURES_PER_ADDRESS:
            return max(pair, get_failure_limit(request, credentials))
        return pair

    def reset_user_attempts(self, request, credentials=None) -> int:
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count


def _free_at(rows: list[tuple[datetime, int]], limit: int, cool_off) -> datetime | None:
    """When failures recorded as (last attempt, count) rows drop below the limit."""
    total = sum(n for _, n in rows)
    if total < limit:
        return None
    for at, n in sorted(rows):
        total -= n
        if total < limit:
            return at + cool_off
    return None


def retry_at(request, credentials=None) -> datetime | None:
    """The moment this person, from this address, may try again (None if not locked)."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return None
    handler = LockoutHandler()
    pair, address = handler.get_user_attempts(request, credentials)
    limits = (get_failure_limit(request, credentials), settings.BTECQA_LOGIN_FAILURES_PER_ADDRESS)
    times = [
        _free_at(list(qs.values_list("attempt_time", "failures_since_start")), limit, cool_off)
        for qs, limit in zip((pair, address), limits, strict=True)
    ]
    times = [t for t in times if t is not None]
    return max(times) if times else None


def locked_out(request, original_response=None, credentials=None):
    """The locked-out page (AXES_LOCKOUT_CALLABLE): why, and from when to try again."""
    when = retry_at(request, credentials)
    return render(
        request,
        "registration/locked_out.html",
        {
            "username": get_client_username(request, credentials) or "",
            "retry_at": timezone.localtime(when) if when else None,
            "time_zone": settings.TIME_ZONE,
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
