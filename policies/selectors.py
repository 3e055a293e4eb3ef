"""Reads for the register's pages and export: a fixed number of queries whatever the size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from btecqa.validators import academic_year_for
from signatures.models import Signature

from .models import ChairSignature, MonitoringRecord, Policy, PolicyVersion


@dataclass
class Row:
    policy: Policy
    version: PolicyVersion | None
    head: Signature | None
    chair: ChairSignature | None
    monitored: MonitoringRecord | None
    overdue: bool
    due_soon: bool

    @property
    def status(self) -> str:
        if self.overdue:
            return "Overdue"
        if self.due_soon:
            return "Due soon"
        return "In date"


def head_signatures(record_ids) -> dict[int, Signature]:
    """The Head of Centre's signature for each frozen record version (first only)."""
    out: dict[int, Signature] = {}
    for s in Signature.objects.filter(version_id__in=[r for r in record_ids if r]).order_by(
        "signed_at", "pk"
    ):
        out.setdefault(s.version_id, s)
    return out


def register_rows(centre, *, today: dt.date | None = None, reminder_days: int = 30) -> list[Row]:
    today = today or timezone.localdate()
    year = academic_year_for(today)
    policies = list(
        Policy.objects.filter(centre=centre).select_related("coordinator").order_by("title")
    )
    ids = [p.pk for p in policies]
    latest: dict[int, PolicyVersion] = {}
    for v in PolicyVersion.objects.filter(policy_id__in=ids).order_by("policy_id", "number"):
        latest[v.policy_id] = v
    chairs = {
        c.version_id: c
        for c in ChairSignature.objects.filter(version_id__in=[v.pk for v in latest.values()])
    }
    heads = head_signatures(v.record_id for v in latest.values())
    monitored = {
        m.policy_id: m
        for m in MonitoringRecord.objects.filter(policy_id__in=ids, academic_year=year)
    }
    soon = today + dt.timedelta(days=reminder_days)
    rows = []
    for p in policies:
        v = latest.get(p.pk)
        rows.append(
            Row(
                policy=p,
                version=v,
                head=heads.get(v.record_id) if v else None,
                chair=chairs.get(v.pk) if v else None,
                monitored=monitored.get(p.pk),
                overdue=p.next_review < today,
                due_soon=today <= p.next_review <= soon,
            )
        )
    return rows


@dataclass
class VersionRow:
    version: PolicyVersion
    head: Signature | None
    chair: ChairSignature | None

    @property
    def signed(self) -> bool:
        return self.head is not None or self.chair is not None


def policy_versions(policy: Policy) -> list[VersionRow]:
    versions = list(
        PolicyVersion.objects.filter(policy=policy)
        .select_related("made_by", "chair_signature__recorded_by")
        .order_by("-number")
    )
    heads = head_signatures(v.record_id for v in versions)
    out = []
    for v in versions:
        try:
            chair = v.chair_signature
        except ChairSignature.DoesNotExist:
            chair = None
        out.append(VersionRow(v, heads.get(v.record_id), chair))
    return out


def monitoring_records(policy: Policy) -> list[MonitoringRecord]:
    return list(policy.monitoring.select_related("recorded_by").order_by("-academic_year"))
