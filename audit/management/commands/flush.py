"""Django's flush, able to empty the audit tables on PostgreSQL.

flush empties every table of the database with one TRUNCATE, and the test
runner flushes after each transactional and live-server test. On PostgreSQL the
audit tables refuse TRUNCATE (migration audit/0005); this command lifts those
TRUNCATE triggers inside flush's own transaction and puts them back before it
commits, so nothing else ever sees them lifted. It gives nobody a power they did
not have: running flush takes the application's environment (its database role,
which owns the tables and may drop triggers, and its audit key). A flushed trail
is still reported: the checkpoint kept in media storage is then ahead of it.
"""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

TRUNCATE_TRIGGERS = {
    "audit_auditevent": "audit_event_no_truncate",
    "audit_auditeventdetail": "audit_detail_no_truncate",
    "audit_auditchainhead": "audit_head_no_truncate",
}


class Command(flush.Command):
    help = flush.Command.help + " The audit tables included (their TRUNCATE triggers lifted)."

    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            lifted = self._set_triggers(connection, "DISABLE")
            super().handle(**options)
            self._set_triggers(connection, "ENABLE", lifted)

    @staticmethod
    def _set_triggers(connection, verb: str, only=None) -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            if only is None:
                cursor.execute(
                    "SELECT c.relname::text, t.tgname::text FROM pg_trigger t"
                    " JOIN pg_class c ON c.oid = t.tgrelid"
                    " WHERE t.tgname::text = ANY(%s) AND pg_table_is_visible(c.oid)",
                    [list(TRUNCATE_TRIGGERS.values())],
                )
                only = [
                    (table, trigger)
                    for table, trigger in cursor.fetchall()
                    if TRUNCATE_TRIGGERS.get(table) == trigger
                ]
            quote = connection.ops.quote_name
            for table, trigger in only:
                cursor.execute(f"ALTER TABLE {quote(table)} {verb} TRIGGER {quote(trigger)}")
        return only
