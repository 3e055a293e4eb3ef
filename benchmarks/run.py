"""Run btecqa's benchmarks against a throwaway database: `make bench`.

By default the database is a fresh SQLite file in a temporary folder. With
BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/btecqa_bench) it is a
fresh PostgreSQL database that this script creates, migrates and drops. The
developer's var/btecqa.sqlite3, and any DATABASE_URL in the environment, are
never used.

    benchmarks/run.py [--events N] [--only NAME]
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, sys.path[0] is benchmarks/
    sys.path.insert(0, str(ROOT))


# name: (module, function, what it measures). The modules import Django models,
# so they are imported only once Django is set up against the throwaway database.
BENCHMARKS = {
    "retention.sweep": (
        "benchmarks.bench_retention",
        "bench_sweep",
        "retention sweep over 100,000 records: peak at 10,000 vs 100,000; time vs a bare read",
    ),
    "audit.record": (
        "benchmarks.bench_audit",
        "bench_record",
        "N audit.record() calls in one batch() vs a bulk insert of the same rows",
    ),
    "audit.verify": (
        "benchmarks.bench_audit",
        "bench_verify",
        "verify_chain() over N events vs raw fetch + HMAC of the same bytes; memory at N/5, N",
    ),
    "learners.import": (
        "benchmarks.bench_learners",
        "bench_import",
        "MIS import of a 10,000-learner XLSX, preview and commit, vs openpyxl read + bulk_create",
    ),
    "learners.list": (
        "benchmarks.bench_learners",
        "bench_list",
        "learner list page, 20,000 learners (page 1, surname, ULN) vs bare view with session+user",
    ),
    "registrations.list": (
        "benchmarks.bench_registrations",
        "bench_list",
        "entry list page of a 300-learner programme vs a bare view of the same rows, 1 query",
    ),
    "registrations.docs": (
        "benchmarks.bench_registrations",
        "bench_docs",
        "300-row entry list PDF and 300 notice letters: seconds and peak memory",
    ),
    "registrations.numbers": (
        "benchmarks.bench_registrations",
        "bench_numbers",
        "import of 5,000 Edexcel Online registration numbers, preview and apply",
    ),
    "decisions.grid": (
        "benchmarks.bench_decisions",
        "bench_grid",
        "class grid of 30 learners x 12 criteria saved in one POST vs a bare bulk insert",
    ),
    "tracking.sheet": (
        "benchmarks.bench_tracking",
        "bench_sheet",
        "tracking sheet page and XLSX export, 300 learners x 10 units, vs a bare view",
    ),
    "certificates.import": (
        "benchmarks.bench_certificates",
        "bench_import",
        "import and check of 5,000 certificate rows (XLSX) against 5,000 claim lines "
        "vs openpyxl read + bulk_create",
    ),
    "tracking.import": (
        "benchmarks.bench_tracking",
        "bench_import",
        "tracking-sheet import of 10,000 grade cells vs openpyxl read + one bulk insert",
    ),
    "sv.pack": (
        "benchmarks.bench_evidence_pack",
        "bench_pack",
        "evidence pack ZIP of a 300-learner cohort, streamed: time and peak memory vs zipfile",
    ),
    "jobs.audit_report": (
        "benchmarks.bench_jobs",
        "bench_report",
        "cohort audit-trail report job (PDF, XLSX) for 300 learners vs values() + csv",
    ),
    "sampling.coverage": (
        "benchmarks.bench_sampling",
        "bench_coverage",
        "IV coverage matrix page, 300 learners x 10 units x 6 assessors, vs a bare view",
    ),
    "dossier.page": (
        "benchmarks.bench_dossier",
        "bench_page",
        "learner dossier page, 1,000 events (rows and chain check) vs a bare view, one values()",
    ),
    "dossier.pdf": (
        "benchmarks.bench_dossier",
        "bench_pdf",
        "learner dossier PDF, 1,000 rows vs the same rows on a bare reportlab canvas",
    ),
    "sampling.build": (
        "benchmarks.bench_sampling",
        "bench_build",
        "build_sample() over 3,000 decisions vs reading the same decisions in one query",
    ),
    "claims.readiness": (
        "benchmarks.bench_claims",
        "bench_readiness",
        "claim readiness of a 300-learner cohort x 10 units vs its decision rows in one query",
    ),
    "governors.report": (
        "benchmarks.bench_governors",
        "bench_report",
        "the governors' annual report, 3 years x 2,000 learners, vs bare grouped Counts",
    ),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events", type=int, default=100_000, help="events per audit benchmark (default 100000)"
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        help="run only the benchmarks whose name is or starts with NAME "
        "(e.g. audit.verify, or verify)",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args(argv)
    if args.events < 5:
        parser.error("--events must be at least 5")
    return args


@contextmanager
def throwaway_postgres(url: str):
    """Create the database named in url (dropping a leftover bench database first), then drop it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"BENCH_DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        sys.exit("BENCH_DATABASE_URL must name a database, e.g. .../btecqa_bench")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            if "bench" not in name:
                sys.exit(
                    f"Database {name!r} exists and its name does not say 'bench': "
                    "refusing to drop it. Name a throwaway database in BENCH_DATABASE_URL."
                )
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not have got that far
            pass
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def throwaway_database():
    """Point the environment at a fresh database and a temporary VAR_DIR; clean both up after."""
    var_dir = Path(tempfile.mkdtemp(prefix="btecqa-bench-"))
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["DEBUG"] = "true"  # development defaults (a SECRET_KEY, no HTTPS); see setup_django
    try:
        pg_url = os.environ.get("BENCH_DATABASE_URL", "").strip()
        if pg_url:
            with throwaway_postgres(pg_url) as url:
                os.environ["DATABASE_URL"] = url
                yield
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
            yield
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def setup_django() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "btecqa.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        developer_db = (ROOT / "var" / "btecqa.sqlite3").resolve()
        if Path(name).resolve() == developer_db or not name.startswith(os.environ["VAR_DIR"]):
            sys.exit(f"Refusing to benchmark against {name}: not the throwaway database.")
    # DEBUG stays on for its defaults, but not its query log: formatting and
    # keeping every query's SQL would be timed and traced with the audit trail,
    # and production runs without it.
    settings.DEBUG = False
    call_command("migrate", interactive=False, verbosity=0)
    return describe_database(connection)


def describe_database(connection) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (fresh file in a temp folder)"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    host = connection.settings_dict.get("HOST") or "local socket"
    return f"PostgreSQL {version} at {host}, database {connection.settings_dict['NAME']} (fresh)"


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, (_module, _function, what) in BENCHMARKS.items():
            print(f"{name:<16} {what}")
        return 0
    names = list(BENCHMARKS)
    if args.only:
        wanted = args.only
        names = [
            name
            for name in names
            if name == wanted or name.startswith(wanted + ".") or name.split(".", 1)[1] == wanted
        ]
        if not names:
            print(f"No benchmark named {args.only!r}; try --list.", file=sys.stderr)
            return 2

    from benchmarks.harness import Table

    with throwaway_database():
        database = setup_django()
        import django

        print(
            f"btecqa benchmarks: {args.events:,} events; {database}; "
            f"Python {platform.python_version()}, Django {django.get_version()}, "
            f"{os.cpu_count()} CPUs",
            flush=True,
        )
        table = Table()
        table.header()
        for name in names:
            module, function, _what = BENCHMARKS[name]
            getattr(importlib.import_module(module), function)(table, args.events)
    if table.missed:
        print(f"Goals missed: {', '.join(table.missed)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
