"""Personal details now live apart (0004 moved them); and on PostgreSQL the database itself
refuses what the models refuse, on every audit table.

* events: UPDATE and DELETE (0002), and now TRUNCATE;
* personal details: DELETE and TRUNCATE, and any UPDATE but an erasure under retention
  (every text blanked, pointing at a later erasure event about the same learner);
* the head: DELETE and TRUNCATE; an INSERT only at the genesis of an empty trail; an
  UPDATE only to move forward to the newest event it names.

These are defence in depth, not the proof: the role that owns the tables may drop or
disable them. The key and the checkpoint outside the database make tampering show.
The test runner's flush (TRUNCATE) lifts the TRUNCATE triggers for its own
transaction: see audit/management/commands/flush.py.
"""

from django.db import migrations

GENESIS = "0" * 64
ERASE_ACTION = "audit.personal_details.erased"

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
DROP TRIGGER IF EXISTS audit_detail_no_truncate ON audit_auditeventdetail;
CREATE TRIGGER audit_detail_no_truncate BEFORE TRUNCATE ON audit_auditeventdetail
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

CREATE OR REPLACE FUNCTION audit_detail_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.erased_by_seq IS NULL AND NEW.erased_by_seq IS NOT NULL
        AND NEW.seq = OLD.seq AND NEW.erased_at IS NOT NULL
        AND NEW.salt = '' AND NEW.learner_repr = '' AND NEW.object_repr = ''
        AND NEW.before = '' AND NEW.after = ''
        AND EXISTS (
            SELECT 1 FROM audit_auditevent x JOIN audit_auditevent e ON e.seq = OLD.seq
            WHERE x.seq = NEW.erased_by_seq AND x.action = '{ERASE_ACTION}'
              AND x.learner_id = e.learner_id AND x.seq > e.seq)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit personal details are append-only: % refused (only an erasure '
        'under retention may blank them)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_detail_guard ON audit_auditeventdetail;
CREATE TRIGGER audit_detail_guard BEFORE UPDATE OR DELETE ON audit_auditeventdetail
    FOR EACH ROW EXECUTE FUNCTION audit_detail_guard();

CREATE OR REPLACE FUNCTION audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.count = 0 AND NEW.last_hash = '{GENESIS}'
            AND NOT EXISTS (SELECT 1 FROM audit_auditevent) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit chain head: a new head must start at the genesis of an empty trail'
            USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id AND NEW.count = OLD.count AND NEW.last_hash = OLD.last_hash
            AND NEW.key_id = OLD.key_id THEN
            RETURN NEW;
        END IF;
        IF NEW.id = OLD.id AND NEW.count > OLD.count
            AND EXISTS (SELECT 1 FROM audit_auditevent WHERE seq = NEW.count
                        AND hash = NEW.last_hash AND key_id = NEW.key_id)
            AND NOT EXISTS (SELECT 1 FROM audit_auditevent WHERE seq > NEW.count) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit chain head: it may only move forward to the newest event '
            '(from % to % refused)', OLD.count, NEW.count
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'audit chain head: % refused (the audit trail is append-only)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_head_guard ON audit_auditchainhead;
CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS audit_head_guard ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_detail_guard ON audit_auditeventdetail;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_detail_no_truncate ON audit_auditeventdetail;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_head_guard();
DROP FUNCTION IF EXISTS audit_detail_guard();
DROP FUNCTION IF EXISTS audit_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_rechain_keyed")]

    operations = [
        migrations.RemoveField(model_name="auditevent", name="after"),
        migrations.RemoveField(model_name="auditevent", name="before"),
        migrations.RemoveField(model_name="auditevent", name="learner_repr"),
        migrations.RemoveField(model_name="auditevent", name="object_repr"),
        migrations.RunPython(forwards, backwards),
    ]
