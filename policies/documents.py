"""What goes in the register's export for Pearson (XLSX through documents.xlsx)."""

from __future__ import annotations

import re

from django.utils import timezone

from documents.xlsx import Column, Sheet, xlsx_bytes

from . import selectors

COLUMNS = [
    Column("Policy"),
    Column("Coordinator"),
    Column("Governors' sub-committee"),
    Column("Last reviewed", 14),
    Column("Next review due", 14),
    Column("Overdue", 9),
    Column("Current version", 9),
    Column("Signed by the Head of Centre on", 16),
    Column("Signed by the chair of governors on", 16),
    Column("Chair's signature recorded by"),
    Column("Monitored this year"),
]


def file_name(version) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", version.title).strip("-").lower() or "policy"
    return f"{slug[:60]}-v{version.number}.{version.file_type}"


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def register_xlsx(centre, reminder_days: int) -> bytes:
    today = timezone.localdate()
    rows = []
    for r in selectors.register_rows(centre, today=today, reminder_days=reminder_days):
        p, v = r.policy, r.version
        rows.append(
            [
                p.title,
                _person(p.coordinator),
                p.sub_committee,
                p.last_reviewed,
                p.next_review,
                "yes" if r.overdue else "no",
                v.number if v else "",
                timezone.localtime(r.head.signed_at).date() if r.head else None,
                r.chair.signed_on if r.chair else None,
                _person(r.chair.recorded_by) if r.chair else "",
                (
                    f"{r.monitored.monitored_on:%d/%m/%Y}: {r.monitored.get_outcome_display()}"
                    if r.monitored
                    else "not yet"
                ),
            ]
        )
    title = f"Policies {centre.number}"
    return xlsx_bytes([Sheet(title, COLUMNS, rows)])
