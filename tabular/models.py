"""What the import framework keeps: a centre's column mappings, and each import's record."""

from __future__ import annotations

import contextlib
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import models
from django.utils import timezone

from .files import CSV, XLSX, FileType, text_encoding
from .problems import FileRefused, ImportRefused, Problem
from .rowlog import LOG_SUFFIX, LogRows, all_rows

KEPT_FILE_GONE = "the kept file of this import is missing; upload it again"
KEPT_FILE_CHANGED = "the kept file no longer matches the one previewed; upload it again"
NEVER_KEPT = "the file of this import was refused before it was kept; upload it again"
LOG_GONE = "the checked rows of this import are missing; upload the file again"
LOG_CHANGED = "the checked rows of this import no longer match the preview; upload the file again"


class ColumnMapping(models.Model):
    """A centre's remembered mapping from its files' headings to an import's fields.

    One per centre and import kind ("learners", "class_list", "registration_numbers" …):
    the importer names its kind; nothing here knows which imports exist.
    """

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.CASCADE, related_name="column_mappings"
    )
    kind = models.CharField(max_length=40, help_text="the import the mapping is for")
    mapping = models.JSONField(default=dict, help_text="heading (lower case) -> field name")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "kind"], name="one_column_mapping_per_centre_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.kind} mapping"


class ImportRecord(models.Model):
    """One upload, kept: who, when, the file and its SHA-256, the counts, the first errors,
    the status, and the rows log of its preview (named in counts["log"]).

    Each import's own model adds its centre, its kind of file, its statuses and the moment
    it was applied; the file and the log are kept in the default storage.
    """

    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    stored_file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20)
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    # ----------------------------------------------------------------- settings and claim

    @property
    def settings(self) -> dict:
        """How the preview read the file (mapping, options): a commit reads it the same way."""
        return (self.counts or {}).get("settings", {})

    def claim(self, from_status: str, to_status: str, **fields) -> bool:
        """Move the record on only if it is still in from_status (a conditional UPDATE: a row
        lock on PostgreSQL, the write lock on SQLite): two clicks apply an import once."""
        done = (
            type(self)
            .objects.filter(pk=self.pk, status=from_status)
            .update(status=to_status, **fields)
        )
        return bool(done)

    # ----------------------------------------------------------------- the kept file

    def keep_file(self, data: bytes, file_type: str) -> None:
        """Keep the checked file (save the record afterwards)."""
        self.stored_file.save(f"{self.file_sha256[:32]}.{file_type}", ContentFile(data), save=False)

    @contextlib.contextmanager
    def open_kept(self):
        """(open binary file, FileType) of the kept file, its SHA-256 checked first.

        The file passed the file checks when it was previewed; the same bytes pass them
        again, so they are not run again and the file is never loaded whole.
        """
        if not self.stored_file:
            raise ImportRefused([Problem(NEVER_KEPT)])
        try:
            fh = self.stored_file.storage.open(self.stored_file.name, "rb")
        except OSError:
            raise ImportRefused([Problem(KEPT_FILE_GONE)]) from None
        with fh:
            fh = getattr(fh, "file", fh)  # the underlying file, for zipfile and io's wrappers
            if self.file_sha256 and (
                hashlib.file_digest(fh, "sha256").hexdigest() != self.file_sha256
            ):
                raise ImportRefused([Problem(KEPT_FILE_CHANGED)])
            fh.seek(0)
            kind = XLSX if self.stored_file.name.endswith(".xlsx") else CSV
            encoding = self.settings.get("encoding", "")
            if kind == CSV and not encoding:  # recorded before the encoding was kept
                try:
                    encoding = text_encoding(fh.read())
                except FileRefused:
                    encoding = "cp1252"
                fh.seek(0)
            yield fh, FileType(kind, encoding)

    def read_kept(self) -> bytes:
        with self.open_kept() as (fh, _kind):
            return fh.read()

    # ----------------------------------------------------------------- the rows log

    @property
    def log_name(self) -> str:
        return (self.counts or {}).get("log", "")

    def _log_storage(self):
        return self.stored_file.storage

    def keep_log(self, log) -> tuple[str, str]:
        """Store a preview's rows log next to the kept file: (its name, its SHA-256).

        A record without a kept file (from before files were kept) has its log stored
        under imports/logs/ by its id."""
        if log is None:
            return "", ""
        storage = self._log_storage()
        base = self.stored_file.name or f"imports/logs/{self._meta.model_name}-{self.pk}"
        name = base + LOG_SUFFIX
        if storage.exists(name):  # an earlier analysis of this same kept file
            storage.delete(name)
        with log.open() as fh:
            sha = hashlib.file_digest(fh, "sha256").hexdigest()
            fh.seek(0)
            return storage.save(name, File(fh)), sha

    def open_log(self, *, verify: bool = False):
        """The kept rows log, open (binary, gzipped); None if there is none.

        verify: its SHA-256 must be the one recorded with it (ImportRefused otherwise), as
        a commit that trusts the preview's checked rows requires.
        """
        name = self.log_name
        if not name:
            if verify:
                raise ImportRefused([Problem(LOG_GONE)])
            return None
        try:
            fh = self._log_storage().open(name, "rb")
        except OSError:
            if verify:
                raise ImportRefused([Problem(LOG_GONE)]) from None
            return None
        if verify:
            expected = (self.counts or {}).get("log_sha256")
            if not expected or hashlib.file_digest(fh, "sha256").hexdigest() != expected:
                fh.close()
                raise ImportRefused([Problem(LOG_CHANGED)])
            fh.seek(0)
        return fh

    def logged_rows(self, keep=all_rows, row_class=dict) -> LogRows:
        """The lines of the rows log that keep(effect, has a problem) picks, to page through."""
        return LogRows(self.open_log, keep, row_class)
