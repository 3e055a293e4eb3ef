"""Backups of what the office would lose: the database, the media files, the audit checkpoint.

A backup is a folder:

    manifest.json      what is in it, the SHA-256 of each part, signed with the audit key
    checkpoint.json    the signed audit checkpoint, read *before* the database is dumped,
                       so the dump always holds it (the chain in the dump extends it)
    database.dump      PostgreSQL: pg_dump's custom format
    database.sqlite3   SQLite: a copy made with SQLite's online backup API
    media.tar.gz       every file in media storage (read through the storage API),
                       except the checkpoints, which are the part above

check() verifies a backup without restoring it: the manifest's signature and hashes,
that the database part is readable, the checkpoint's signature, and the audit chain in
the backup against that checkpoint (or a newer one kept elsewhere: a backup that lost
later events is then BEHIND it). For a PostgreSQL dump the audit tables are read out
of the dump with pg_restore into a scratch SQLite file and verified by the same code
as the live database. restore() puts a backup into a fresh, empty database and media
storage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connections, router

from . import checkpoints
from .chain import SEP
from .keys import UnknownKey, keyring
from .models import AuditChainHead, AuditEvent, AuditEventDetail
from .verification import SqliteSource, verify

FORMAT = "btecqa-backup-1"
MANIFEST = "manifest.json"
CHECKPOINT = "checkpoint.json"
MEDIA = "media.tar.gz"
DATABASE = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
AUDIT_TABLES = (
    AuditEvent._meta.db_table,
    AuditEventDetail._meta.db_table,
    AuditChainHead._meta.db_table,
)
INTEGER_COLUMNS = {"id", "seq", "actor_id", "learner_id", "centre_id", "count", "erased_by_seq"}
PG_CLIENT_HINT = (
    "install PostgreSQL's client tools of the server's major version "
    "(Debian: apt-get install postgresql-client-15)"
)


class BackupError(RuntimeError):
    pass


def _connection():
    return connections[router.db_for_write(AuditEvent)]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not on this machine: {PG_CLIENT_HINT}.")
    return path


def _pg_env(connection) -> dict:
    """The environment that points PostgreSQL's tools at connection's database."""
    s = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for var, value in (
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
        ("PGDATABASE", s.get("NAME")),
        ("PGSSLMODE", (s.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[var] = str(value)
    return env


def _run(args: list[str], env=None, what: str = "") -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(
            f"{what or args[0]} failed: {detail[-1] if detail else result.returncode}"
        )
    return result


def _manifest_signature(data: dict, key) -> str:
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    text = json.dumps(unsigned, sort_keys=True, separators=(",", ":"))
    return key.checkpoint.hexdigest(f"{FORMAT}{SEP}manifest{SEP}{text}".encode())


# -- media through the storage API -----------------------------------------------------------


def _media_files(storage, prefix: str = ""):
    try:
        directories, files = storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield f"{prefix}{name}"
    for directory in sorted(directories):
        yield from _media_files(storage, f"{prefix}{directory}/")


def _backed_up_media(storage):
    return [n for n in _media_files(storage) if not n.startswith(checkpoints.DIRECTORY + "/")]


def _write_media(storage, target: Path) -> int:
    count = 0
    with tarfile.open(target, "w:gz") as tar:
        for name in _backed_up_media(storage):
            info = tarfile.TarInfo(name)
            info.size = storage.size(name)
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            with storage.open(name, "rb") as handle:
                tar.addfile(info, handle)
            count += 1
    return count


# -- the database ------------------------------------------------------------------------------


def _dump_database(connection, target: Path) -> None:
    if connection.vendor == "postgresql":
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "-f",
                str(target),
            ],
            env=_pg_env(connection),
            what="pg_dump",
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
    else:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")


def make(out: Path) -> dict:
    """Back up everything into the new folder out; returns the manifest."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: give a new folder for the backup.")
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)  # personal data: readable by the account that made it only
    connection = _connection()
    ring = keyring()
    # The checkpoint first: the database dumped after it always holds the event it names.
    try:
        stored = checkpoints.read()
    except checkpoints.CheckpointError as exc:
        raise BackupError(f"The stored audit checkpoint is unreadable: {exc}") from None
    parts = {}
    if stored is not None:
        (out / CHECKPOINT).write_text(stored.to_json() + "\n")
        parts[CHECKPOINT] = {}
    database = DATABASE.get(connection.vendor)
    if database is None:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
    _dump_database(connection, out / database)
    parts[database] = {}
    media_files = _write_media(default_storage, out / MEDIA)
    parts[MEDIA] = {"files": media_files}
    for name, extra in parts.items():
        path = out / name
        extra.update(bytes=path.stat().st_size, sha256=_sha256(path))
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])},
        "checkpoint": None
        if stored is None
        else {"count": stored.count, "last_hash": stored.last_hash},
        "parts": parts,
        "key_id": ring.current.id,
    }
    manifest["signature"] = _manifest_signature(manifest, ring.current)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


# -- checking ----------------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    verification: object = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self, text: str) -> None:
        self.lines.append(text)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.lines.append(f"PROBLEM: {text}")


def _read_manifest(folder: Path, report: Report) -> dict | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        report.problem(f"{folder} has no {MANIFEST}: it is not a btecqa backup.")
        return None
    except ValueError as exc:
        report.problem(f"{MANIFEST} is not JSON: {exc}")
        return None
    if manifest.get("format") != FORMAT:
        report.problem(f"{MANIFEST} is of an unknown format ({manifest.get('format')!r}).")
        return None
    report.manifest = manifest
    ring = keyring()
    try:
        key = ring.get(manifest.get("key_id", ""))
    except UnknownKey:
        report.problem(
            f"{MANIFEST} is signed with key {manifest.get('key_id')}, which is not in the keyring."
        )
    else:
        if _manifest_signature(manifest, key) != manifest.get("signature"):
            report.problem(f"{MANIFEST}'s signature does not match: it was altered.")
    database = manifest.get("database", {})
    report.line(
        f"Backup {folder}, made {manifest.get('created_at')} from the {database.get('vendor')} "
        f"database {database.get('name')}"
    )
    return manifest


def _check_parts(folder: Path, manifest: dict, report: Report) -> None:
    for name, part in sorted(manifest.get("parts", {}).items()):
        path = folder / name
        if not path.exists():
            report.problem(f"{name} is missing.")
            continue
        if _sha256(path) != part.get("sha256"):
            report.problem(f"{name}'s SHA-256 does not match the manifest: damaged or altered.")
            continue
        files = f", {part['files']} files" if "files" in part else ""
        report.line(f"  {name}: {part.get('bytes'):,} bytes{files}, SHA-256 matches")


def _copy_decode(field_text: str):
    """One field of PostgreSQL's COPY text format."""
    if field_text == r"\N":
        return None
    if "\\" not in field_text:
        return field_text
    out, i, n = [], 0, len(field_text)
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
    while i < n:
        c = field_text[i]
        if c != "\\" or i + 1 == n:
            out.append(c)
            i += 1
            continue
        nxt = field_text[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < min(i + 4, n) and field_text[j] in "01234567":
                j += 1
            out.append(chr(int(field_text[i + 1 : j], 8)))
            i = j
        elif nxt == "x" and i + 2 < n:
            j = i + 2
            while j < min(i + 4, n) and field_text[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(field_text[i + 2 : j], 16)))
            i = j
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


def _audit_tables_from_dump(dump: Path, target: Path) -> set[str]:
    """The audit tables' rows from a pg_dump archive, into a new SQLite file (streamed)."""
    args = [_tool("pg_restore"), "--data-only", "-f", "-"]
    for table in AUDIT_TABLES:
        args += ["--table", table]
    db = sqlite3.connect(target)
    process = subprocess.Popen(
        [*args, str(dump)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    table, insert, batch, found = None, None, [], set()
    try:
        for line in process.stdout:
            line = line.rstrip("\n")
            if table is None:
                if line.startswith("COPY ") and line.endswith(" FROM stdin;"):
                    head = line[5 : -len(" FROM stdin;")]
                    qualified, _, columns = head.partition(" (")
                    table = qualified.split(".")[-1].strip('"')
                    names = [c.strip().strip('"') for c in columns.rstrip(")").split(",")]
                    defs = ", ".join(
                        f'"{c}" {"INTEGER" if c in INTEGER_COLUMNS else "TEXT"}' for c in names
                    )
                    db.execute(f'CREATE TABLE "{table}" ({defs})')
                    found.add(table)
                    marks = ", ".join("?" * len(names))
                    insert = f'INSERT INTO "{table}" VALUES ({marks})'
                continue
            if line == "\\.":
                db.executemany(insert, batch)
                table, batch = None, []
                continue
            batch.append([_copy_decode(f) for f in line.split("\t")])
            if len(batch) >= 1000:
                db.executemany(insert, batch)
                batch = []
        _, stderr = process.communicate()
        if process.returncode != 0:
            raise BackupError(f"pg_restore could not read the dump: {stderr.strip()}")
        if found != set(AUDIT_TABLES):
            missing = ", ".join(sorted(set(AUDIT_TABLES) - found))
            raise BackupError(f"the dump holds no data for {missing}")
        db.execute(
            f'CREATE INDEX IF NOT EXISTS detail_seq ON "{AuditEventDetail._meta.db_table}" (seq)'
        )
        db.commit()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        db.close()
    return found


def _readable_database(folder: Path, name: str, scratch: Path, report: Report) -> Path | None:
    """An SQLite file holding the backup's audit tables, having checked the part is readable."""
    path = folder / name
    if name.endswith(".sqlite3"):
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
                tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            report.problem(f"{name} is not a readable SQLite database: {exc}")
            return None
        if verdict != "ok":
            report.problem(f"{name} fails SQLite's integrity check: {verdict}")
            return None
        missing = set(AUDIT_TABLES) - tables
        if missing:
            report.problem(f"{name} has no audit tables ({', '.join(sorted(missing))}).")
            return None
        report.line(f"  {name}: readable, SQLite integrity check ok")
        return path
    try:
        listing = _run([_tool("pg_restore"), "--list", str(path)], what="pg_restore --list")
        target = scratch / "audit-tables.sqlite3"
        _audit_tables_from_dump(path, target)
    except BackupError as exc:
        report.problem(f"{name} is not a readable PostgreSQL dump: {exc}")
        return None
    entries = sum(1 for line in listing.stdout.splitlines() if line and not line.startswith(";"))
    report.line(f"  {name}: readable, pg_restore lists {entries} entries")
    return target


def check(folder: Path, checkpoint: checkpoints.Checkpoint | None = None) -> Report:
    """Everything that can be checked about a backup without restoring it."""
    folder, report = Path(folder), Report()
    manifest = _read_manifest(folder, report)
    if manifest is None:
        return report
    _check_parts(folder, manifest, report)
    ring = keyring()
    kept = None
    if (folder / CHECKPOINT).exists():
        try:
            kept = checkpoints.Checkpoint.from_json((folder / CHECKPOINT).read_text())
        except checkpoints.CheckpointError as exc:
            report.problem(f"{CHECKPOINT} is unreadable: {exc}")
        else:
            problem = kept.signature_problem(ring)
            if problem:
                report.problem(f"{CHECKPOINT} {problem}.")
            else:
                report.line(f"  {CHECKPOINT}: {kept}; signature good")
    against = checkpoint or kept
    if checkpoint is not None:
        report.line(f"  checked against the checkpoint given: {checkpoint}")
    database = DATABASE.get(manifest.get("database", {}).get("vendor"))
    if database is None:
        report.problem("the manifest names no database part this version can read.")
        return report
    with tempfile.TemporaryDirectory(prefix="btecqa-check-") as scratch:
        path = _readable_database(folder, database, Path(scratch), report)
        if path is None:
            return report
        source = SqliteSource(path, pg_text=database.endswith(".dump"))
        try:
            result = verify(source, ring, against)
        finally:
            source.close()
    report.verification = result
    if result.ok:
        report.line(f"  audit trail in the backup: {result}")
        if against is None and result.checked:
            report.problem("the backup has no checkpoint: nothing shows whether events are lost.")
    else:
        report.problem(f"the audit trail in the backup: {result}")
    return report


# -- restoring ---------------------------------------------------------------------------------


def restore(folder: Path, *, database_only: bool = False) -> list[str]:
    """Restore a checked backup into this fresh, empty database (and media storage)."""
    folder = Path(folder)
    report = Report()
    manifest = _read_manifest(folder, report)
    if manifest is not None:
        _check_parts(folder, manifest, report)
    if not report.ok:
        raise BackupError("Refusing to restore: " + " ".join(report.problems))
    connection = _connection()
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup is of a {vendor} database; DATABASE_URL points at {connection.vendor}."
        )
    with connection.cursor() as cursor:
        existing = connection.introspection.table_names(cursor)
    if existing:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty ({len(existing)} "
            "tables): restore into a fresh, empty database."
        )
    storage = default_storage
    if not database_only and any(_media_files(storage)):
        raise BackupError("Media storage is not empty: restore into a fresh, empty media folder.")
    done = []
    database = folder / DATABASE[vendor]
    if vendor == "postgresql":
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction"]
            + ["--exit-on-error", "-d", str(connection.settings_dict["NAME"]), str(database)],
            env=_pg_env(connection),
            what="pg_restore",
        )
    else:
        connection.ensure_connection()
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as source:
            source.backup(connection.connection)
        source.close()
    connection.close()
    done.append(f"database restored from {database.name}")
    if database_only:
        return done
    with tarfile.open(folder / MEDIA, "r:gz") as tar:
        count = 0
        for member in tar:
            if not member.isfile():
                continue
            name = member.name
            if name.startswith("/") or ".." in Path(name).parts:
                raise BackupError(f"{MEDIA} holds an unsafe path: {name}")
            with tar.extractfile(member) as handle:
                storage.save(name, File(handle, name=name))
            count += 1
    done.append(f"{count} media files restored")
    if (folder / CHECKPOINT).exists():
        kept = checkpoints.Checkpoint.from_json((folder / CHECKPOINT).read_text())
        checkpoints.store(kept)
        done.append(f"audit checkpoint restored as {checkpoints.name()} ({kept.count} events)")
    return done
