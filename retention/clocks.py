"""The two retention clocks and where each one starts (policy 004-duty-8, 3.1.10).

- **learner work** (`LEARNER_WORK`): `BTECQA_RETENTION_LEARNER_WORK_WEEKS` (12) weeks after
  the learner's certificates arrive, or the post-results closing date of that academic year
  where the year's file names one (`"retention": {"post_results_closes": "YYYY-MM-DD"}`),
  whichever is later.
- **QA records** (`QA_RECORDS`): `BTECQA_RETENTION_QA_RECORDS_YEARS` (3) years after
  certification.

The year's JSON (`registrations/year_data/<yyyy-yy>.json`, key `"retention"`:
`learner_work_weeks`, `qa_records_years`, `post_results_closes`, and
`decision_grace_days` for the yearly monitoring) overrides the settings for
clocks starting in that year. Where a clock starts is a registered function
`fn(learner_ids) -> {learner_id: date}` (`register_clock_start`): certification provides
them; a learner with no known start is not due.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from django.apps import apps
from django.conf import settings

LEARNER_WORK = "learner_work"
QA_RECORDS = "qa_records"
# The named start each clock reads.
CLOCK_STARTS = {LEARNER_WORK: "certificates_arrived", QA_RECORDS: "certified"}

_STARTS: dict[str, Callable[[Iterable[int]], dict[int, dt.date]]] = {}


def register_clock_start(name: str, fn) -> None:
    """Say where a clock starts: `fn(learner_ids) -> {learner_id: date}`."""
    _STARTS[name] = fn


def unregister_clock_start(name: str) -> None:
    _STARTS.pop(name, None)


def clock_start(name: str):
    """The function registered for a named start (None if none): tests that register their
    own put the real one back."""
    return _STARTS.get(name)


def starts(clock: str, learner_ids: Iterable[int]) -> dict[int, dt.date]:
    fn = _STARTS.get(CLOCK_STARTS[clock])
    ids = sorted(set(learner_ids))
    if fn is None or not ids:
        return {}
    return {k: v for k, v in fn(ids).items() if v is not None}


def _year_dir() -> Path:
    configured = getattr(settings, "BTECQA_RETENTION_YEAR_DATA_DIR", None)
    if configured:
        return Path(configured)
    return Path(apps.get_app_config("registrations").path) / "year_data"


@lru_cache(maxsize=64)
def _year_retention(directory: str, academic_year: str) -> dict:
    path = Path(directory) / (academic_year.replace("/", "-") + ".json")
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("retention", {})


def academic_year_of(day: dt.date) -> str:
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def year_config(day: dt.date) -> dict:
    return _year_retention(str(_year_dir()), academic_year_of(day))


def decision_grace_days(academic_year: str) -> int:
    """How long a record due for disposal may wait for the Quality Nominee's decision
    (approve or hold) before the year's policy monitoring names it (000-3.1.10)."""
    year = _year_retention(str(_year_dir()), academic_year)
    return int(year.get("decision_grace_days", settings.BTECQA_RETENTION_DECISION_GRACE_DAYS))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def due_date(clock: str, start: dt.date) -> dt.date:
    """The day a record on this clock, started on `start`, may be disposed of."""
    year = year_config(start)
    if clock == LEARNER_WORK:
        weeks = year.get("learner_work_weeks", settings.BTECQA_RETENTION_LEARNER_WORK_WEEKS)
        due = start + dt.timedelta(weeks=int(weeks))
        if closes := year.get("post_results_closes"):
            due = max(due, dt.date.fromisoformat(closes))
        return due
    if clock == QA_RECORDS:
        years = year.get("qa_records_years", settings.BTECQA_RETENTION_QA_RECORDS_YEARS)
        return _add_years(start, int(years))
    raise ValueError(f"Unknown retention clock {clock!r}.")
