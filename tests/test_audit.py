"""The audit trail: append-only, keyed, checkpointed, erasable in part, and loud when anyone
tampers with it. The PostgreSQL-only attacks are in test_audit_tamper.py."""

import hashlib
import hmac
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

import audit
from audit import checkpoints
from audit.keys import Hmac, keyring
from audit.models import ERASED, AppendOnlyError, AuditChainHead, AuditEvent, AuditEventDetail
from audit.services import verify_chain

from .factories import CentreFactory, LearnerFactory, UserFactory

OLD_KEY = "the-first-audit-key-of-this-test-0123456789"
NEW_KEY = "the-second-audit-key-of-this-test-9876543210"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Checkpoints land in a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A block whose commit callbacks run (the checkpoint is written as on a real commit)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def trail(db, committed):
    """Six events on the trail, about one learner and one centre; the checkpoint written."""
    actor = UserFactory(username="recorder", first_name="Rita", last_name="Recorder")
    learner = LearnerFactory()
    for i in range(6):
        with committed():
            audit.record(
                actor, "learner.updated", learner, before={"step": i}, after={"step": i + 1}
            )
    return actor, learner


def raw(sql, params=None):
    """Tamper as an attacker with database access would: raw SQL, around the ORM (on
    PostgreSQL as the tables' owner, who may lift the triggers)."""
    with connection.cursor() as cursor:
        tables = ("audit_auditevent", "audit_auditeventdetail", "audit_auditchainhead")
        if connection.vendor == "postgresql":
            # The attacker works after our commits; in this test's one transaction the
            # deferred foreign-key checks of those writes are run now instead.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for statement in sql.split(";") if params is None else [sql]:
            cursor.execute(statement, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def verify_command_output():
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit_trail")
    assert exc.value.returncode != 0
    return str(exc.value)


def column_names(table):
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


# -- what is recorded, and where ---------------------------------------------------------


def test_it_records_who_what_which_learner_and_the_change(trail):
    actor, learner = trail
    event = AuditEvent.objects.order_by("seq").first()
    assert event.actor_id == actor.pk
    assert "Rita Recorder" in event.actor_repr
    assert event.action == "learners.learner.updated"
    assert event.learner_id == learner.pk
    assert event.centre_id == learner.centre_id
    assert event.learner_repr == str(learner)
    assert event.changes() == [("step", 0, 1)]


def test_personal_details_are_held_apart_from_the_chained_row(trail):
    _actor, learner = trail
    events = column_names("audit_auditevent")
    assert not {"learner_repr", "object_repr", "before", "after"} & events
    event = AuditEvent.objects.order_by("seq").first()
    detail = AuditEventDetail.objects.get(event=event.seq)
    assert detail.learner_repr == str(learner) and detail.after == '{"step":1}'
    assert len(detail.salt) == 32 and len(event.details_digest) == 64
    # The chain covers a keyed digest of them, never the text itself.
    assert str(learner) not in "".join(str(getattr(event, f)) for f in ("hash", "details_digest"))


def test_each_event_is_signed_with_the_key_not_a_plain_hash(trail):
    from audit.services import FIELDS, event_payload

    event = AuditEvent.objects.order_by("seq").first()
    payload = event_payload(tuple(getattr(event, f) for f in FIELDS))
    plain = hashlib.sha256(event.prev_hash.encode() + payload).hexdigest()
    assert event.hash != plain
    assert event.key_id == keyring().current.id
    with override_settings(AUDIT_HMAC_KEY="a-different-key-gives-a-different-chain-000"):
        assert verify_chain().broken_seq == 1


def test_the_prepared_hmac_is_the_standard_hmac():
    for key in (b"", b"short", b"k" * 64, b"tests.event.x" * 65, bytes(range(256))):
        for message in (b"", b"abc", b"m" * 1000):
            assert Hmac(key).hexdigest(message) == hmac.new(key, message, "sha256").hexdigest()


def test_an_intact_trail_verifies_against_its_checkpoint(trail, capsys):
    assert verify_chain().ok
    call_command("verify_audit_trail")
    out = capsys.readouterr().out
    assert "6 events" in out and "intact" in out
    stored = checkpoints.read()
    assert stored.count == 6 and stored.to_json() in out  # printed, to be kept elsewhere too


# -- tampering that any database allows ----------------------------------------------------


def test_it_names_edited_personal_details(trail):
    raw("UPDATE audit_auditeventdetail SET after = %s WHERE seq = 3", ['{"step":99}'])
    result = verify_chain()
    assert not result.ok and result.broken_seq == 3 and "edited" in result.reason
    assert "event #3" in verify_command_output()


def test_it_names_an_edited_actor(trail):
    raw("UPDATE audit_auditevent SET actor_repr = 'someone else' WHERE seq = 2")
    result = verify_chain()
    assert result.broken_seq == 2 and "edited" in result.reason


def test_it_catches_deleted_personal_details(trail):
    raw("DELETE FROM audit_auditeventdetail WHERE seq = 2")
    result = verify_chain()
    assert result.broken_seq == 2 and "missing" in result.reason


def test_it_catches_a_deleted_middle_event(trail):
    raw("DELETE FROM audit_auditeventdetail WHERE seq = 4")
    raw("DELETE FROM audit_auditevent WHERE seq = 4")
    result = verify_chain()
    assert not result.ok and result.broken_seq == 5 and "deleted" in result.reason
    assert "#4" in verify_command_output()


def test_it_catches_the_newest_event_deleted(trail):
    raw("DELETE FROM audit_auditeventdetail WHERE seq = 6")
    raw("DELETE FROM audit_auditevent WHERE seq = 6")
    result = verify_chain()
    assert not result.ok and result.broken_seq == 6 and "newest" in result.reason
    assert "event #6" in verify_command_output()


def test_it_catches_the_newest_event_deleted_and_the_head_rolled_back(trail):
    fifth = AuditEvent.objects.get(seq=5).hash
    raw("DELETE FROM audit_auditeventdetail WHERE seq = 6")
    raw("DELETE FROM audit_auditevent WHERE seq = 6")
    raw("UPDATE audit_auditchainhead SET count = 5, last_hash = %s", [fifth])
    assert verify_chain().ok  # the database alone cannot tell...
    message = verify_command_output()  # ...the checkpoint outside it can
    assert "BEHIND the checkpoint by 1 event" in message and "missing tail" in message


INSERT_EVENT_7 = (
    "INSERT INTO audit_auditevent (seq, occurred_at, key_id, actor_id, actor_repr, action,"
    " object_type, object_id, learner_id, centre_id, details_digest, prev_hash, hash)"
    " VALUES (7, %s, %s, NULL, 'intruder', 'learner.updated', '', '', NULL, NULL, %s, %s, %s)"
)
INSERT_DETAIL_7 = (
    "INSERT INTO audit_auditeventdetail (seq, salt, learner_repr, object_repr, before, after)"
    " VALUES (7, '', '', '', '', '')"
)


def test_it_catches_an_inserted_event(trail):
    good = AuditEvent.objects.get(seq=6)
    raw(INSERT_EVENT_7, [good.occurred_at, good.key_id, "0" * 64, good.hash, "f" * 64])
    raw(INSERT_DETAIL_7)
    result = verify_chain()
    assert not result.ok and result.broken_seq == 7
    assert "event #7" in verify_command_output()


def test_an_event_appended_with_a_plain_hash_is_named_forged(trail):
    """A correctly linked extra event, its hash made the only way possible without the key."""
    from audit.chain import details_text, payload_text, ts

    last = AuditEvent.objects.get(seq=6)
    digest = hashlib.sha256(details_text("", "", "", "", "").encode()).hexdigest()
    payload = payload_text(
        7,
        ts(last.occurred_at),
        last.key_id,
        None,
        "intruder",
        "learners.learner.updated",
        "",
        "",
        None,
        None,
        digest,
    )
    forged = hashlib.sha256((last.hash + payload).encode()).hexdigest()
    raw(INSERT_EVENT_7, [last.occurred_at, last.key_id, digest, last.hash, forged])
    raw(INSERT_DETAIL_7)
    raw("UPDATE audit_auditchainhead SET count = 7, last_hash = %s", [forged])
    result = verify_chain()
    assert not result.ok and result.broken_seq == 7
    assert "forged" in result.reason or "edited" in result.reason
    assert "intruder" in verify_command_output()


def test_it_catches_two_events_swapped(trail):
    raw(
        "UPDATE audit_auditevent SET seq = 1000 WHERE seq = 2;"
        " UPDATE audit_auditevent SET seq = 2 WHERE seq = 3;"
        " UPDATE audit_auditevent SET seq = 3 WHERE seq = 1000"
    )
    result = verify_chain()
    assert not result.ok and result.broken_seq == 2
    assert "event #2" in verify_command_output()


def test_a_separator_moved_between_fields_is_caught(trail):
    raw("UPDATE audit_auditevent SET actor_repr = actor_repr || %s WHERE seq = 2", ["\x1f"])
    assert verify_chain().broken_seq == 2


def test_the_orm_cannot_change_or_delete_events_or_details(trail):
    event = AuditEvent.objects.first()
    for thing in (event, event.detail):
        with pytest.raises(AppendOnlyError):
            thing.save()
        with pytest.raises(AppendOnlyError):
            thing.delete()
    for manager in (AuditEvent.objects, AuditEventDetail.objects):
        with pytest.raises(AppendOnlyError):
            manager.filter(pk=1).update(pk=2)
        with pytest.raises(AppendOnlyError):
            manager.all().delete()
    assert verify_chain().ok


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the triggers are PostgreSQL's (audit/0002, 0005)"
)
def test_postgresql_refuses_update_and_delete_in_the_database(trail):
    from django.db.utils import DatabaseError

    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditeventdetail SET after = '' WHERE seq = 1",
        "UPDATE audit_auditeventdetail SET salt = '', learner_repr = '', object_repr = '',"
        " before = '', after = '', erased_at = now(), erased_by_seq = 6 WHERE seq = 1",
        "DELETE FROM audit_auditeventdetail",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEvent.objects.count() == AuditEventDetail.objects.count() == 6


# -- writing -------------------------------------------------------------------------------


def test_a_batch_writes_one_chain_in_one_go(db, django_assert_max_num_queries):
    centre = CentreFactory()
    with django_assert_max_num_queries(12):  # not one per event
        with audit.batch():
            for i in range(250):
                audit.record(None, "tests.event.import_row", centre, after={"row": i})
    assert AuditEvent.objects.count() == AuditEventDetail.objects.count() == 250
    assert AuditChainHead.objects.get().count == 250
    assert verify_chain().ok


def test_a_failed_batch_leaves_neither_rows_nor_events(db):
    centre = CentreFactory()
    with pytest.raises(ValueError), audit.batch():
        audit.record(None, "tests.event.import_row", centre, after={"row": 1})
        centre.name = "changed"
        centre.save()
        raise ValueError("row 2 is bad")
    centre.refresh_from_db()
    assert centre.name != "changed"
    assert AuditEvent.objects.count() == 0
    assert verify_chain().ok


def test_events_continue_one_chain_across_single_and_batch_records(db):
    centre = CentreFactory()
    audit.record(None, "tests.event.a", centre)
    with audit.batch():
        audit.record(None, "tests.event.b", centre)
        audit.record(None, "tests.event.c", centre)
    audit.record(None, "tests.event.d", centre)
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "tests.event.a",
        "tests.event.b",
        "tests.event.c",
        "tests.event.d",
    ]
    assert verify_chain().ok


def test_dates_and_objects_in_values_are_stored_readably(db):
    import datetime as dt

    centre = CentreFactory()
    event = audit.record(
        None, "tests.event.x", centre, after={"when": dt.date(2026, 10, 23), "centre": centre}
    )
    assert event.after_data == {"centre": centre.pk, "when": "2026-10-23"}
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.after_data == {"centre": centre.pk, "when": "2026-10-23"}
    assert verify_chain().ok


def test_the_separator_is_never_stored(db):
    centre = CentreFactory()
    event = audit.record(None, "tests.event.x", centre, object_repr="a\x1fb")
    assert AuditEvent.objects.get(pk=event.pk).object_repr == "a b"
    assert verify_chain().ok


# -- the checkpoint ------------------------------------------------------------------------


def test_one_checkpoint_is_written_per_commit_however_many_events(db, committed, media):
    centre = CentreFactory()
    with committed() as callbacks, transaction.atomic():
        for i in range(3):
            audit.record(None, "tests.event.x", centre, after={"i": i})
        with audit.batch():
            audit.record(None, "tests.event.y", centre)
    from audit.services import CheckpointAfterCommit

    assert sum(isinstance(c, CheckpointAfterCommit) for c in callbacks) == 1
    stored = checkpoints.read()
    assert stored.count == 4 and stored.last_hash == AuditChainHead.objects.get().last_hash
    assert (media / checkpoints.name()).exists()  # in media storage, outside the database
    assert not stored.signature_problem(keyring())


def test_no_checkpoint_is_written_for_a_rolled_back_transaction(db, committed):
    centre = CentreFactory()
    with committed(), transaction.atomic():
        audit.record(None, "tests.event.x", centre)
        transaction.set_rollback(True)
    assert checkpoints.read() is None


def test_a_trail_without_its_checkpoint_does_not_pass(trail, media):
    (media / checkpoints.name()).unlink()
    assert "no checkpoint" in verify_command_output()


def test_an_altered_checkpoint_is_named(trail, media):
    path = media / checkpoints.name()
    data = json.loads(path.read_text())
    data["count"] = 5
    path.write_text(json.dumps(data))
    assert "signature does not match" in verify_command_output()


def test_a_checkpoint_kept_elsewhere_can_be_given(trail, tmp_path, committed, capsys):
    kept = tmp_path / "kept.json"
    call_command("audit_checkpoint")
    kept.write_text(checkpoints.read().to_json())
    actor, learner = trail
    with committed():
        audit.record(actor, "learner.updated", learner)
    call_command("verify_audit_trail", checkpoint=str(kept))
    assert "holds the checkpoint" in capsys.readouterr().out


def test_the_checkpoint_never_moves_back_and_the_old_one_stays_as_evidence(trail, committed):
    before = checkpoints.read()
    fifth = AuditEvent.objects.get(seq=5).hash
    raw("DELETE FROM audit_auditeventdetail WHERE seq = 6")
    raw("DELETE FROM audit_auditevent WHERE seq = 6")
    raw("UPDATE audit_auditchainhead SET count = 5, last_hash = %s", [fifth])
    with pytest.raises(checkpoints.CheckpointRefused, match="behind"):
        checkpoints.write()
    actor, learner = trail
    with committed():  # a new #6 after the deletion: not the #6 the checkpoint recorded
        audit.record(actor, "learner.updated", learner)
    assert checkpoints.read() == before
    with pytest.raises(CommandError, match="not the one the checkpoint recorded"):
        call_command("audit_checkpoint")
    assert "rewritten" in verify_command_output()


def test_the_beat_job_writes_the_checkpoint(trail, media):
    from audit.tasks import write_checkpoint
    from btecqa.celery import app

    (media / checkpoints.name()).unlink()
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == write_checkpoint.name)
    assert len(entry["schedule"].hour) == 24  # every hour of the day, at least
    write_checkpoint.delay()
    assert checkpoints.read().count == 6


def test_a_loss_can_be_accepted_after_a_restore_and_is_recorded(trail, committed):
    fifth = AuditEvent.objects.get(seq=5).hash
    raw("DELETE FROM audit_auditeventdetail WHERE seq = 6")
    raw("DELETE FROM audit_auditevent WHERE seq = 6")
    raw("UPDATE audit_auditchainhead SET count = 5, last_hash = %s", [fifth])
    with pytest.raises(CommandError, match="Say why"):
        call_command("audit_checkpoint", accept_loss=" ")
    with committed():
        call_command(
            "audit_checkpoint", accept_loss="Restored Monday's backup after a disk failure"
        )
    event = AuditEvent.objects.get(action="audit.checkpoint.superseded")
    assert event.after_data["lost"] == 1 and event.before_data["count"] == 6
    assert checkpoints.read().count == 6  # the restored 5 and the acceptance
    call_command("verify_audit_trail")


# -- key rotation --------------------------------------------------------------------------


def test_a_key_rotation_is_recorded_and_both_keys_verify(db, committed, settings):
    centre = CentreFactory()
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_OLD_KEYS = OLD_KEY, []
    with committed():
        audit.record(None, "tests.event.before_rotation", centre)
    old_id = keyring().current.id
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_OLD_KEYS = NEW_KEY, [OLD_KEY]
    with committed():
        audit.record(None, "tests.event.after_rotation", centre)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.action for e in events] == [
        "tests.event.before_rotation",
        "audit.key.rotated",
        "tests.event.after_rotation",
    ]
    assert events[1].before_data == {"key": old_id} and events[2].key_id == keyring().current.id
    assert checkpoints.read().key_id == keyring().current.id
    call_command("verify_audit_trail")
    # Without the old key the old events cannot be verified, and it says so.
    settings.AUDIT_HMAC_OLD_KEYS = []
    result = verify_chain()
    assert result.broken_seq == 1 and "not in the keyring" in result.reason


def test_an_old_key_cannot_extend_the_chain_after_a_rotation(db, settings):
    centre = CentreFactory()
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_OLD_KEYS = NEW_KEY, [OLD_KEY]
    audit.record(None, "tests.event.new_key", centre)
    # Someone who obtained the retired key signs an event with it, as record() would.
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_OLD_KEYS = OLD_KEY, []
    raw("UPDATE audit_auditchainhead SET key_id = %s", [keyring().current.id])
    audit.record(None, "tests.event.old_key", centre)
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_OLD_KEYS = NEW_KEY, [OLD_KEY]
    result = verify_chain()
    assert result.broken_seq == 2 and "forged with an old key" in result.reason


# -- erasure under retention ---------------------------------------------------------------


def test_erasing_a_learners_details_keeps_the_chain_verifying(trail, committed):
    actor, learner = trail
    other = LearnerFactory(centre=learner.centre)
    with committed():
        audit.record(actor, "learner.updated", other, after={"surname": "Kept"})
        erased = audit.erase_personal_details(learner.pk, by=actor, reason="Retention: 6 years")
    assert erased == 6
    for event in AuditEvent.objects.filter(learner_id=learner.pk, seq__lte=6):
        assert event.erased and event.learner_repr == ERASED and event.object_repr == ERASED
        assert event.before_data is None and event.reason == ""
        assert event.display_changes() == [("personal details", None, ERASED)]
        detail = AuditEventDetail.objects.get(event=event.seq)
        assert (detail.salt, detail.before, detail.after, detail.learner_repr) == ("", "", "", "")
    kept = AuditEvent.objects.get(learner_id=other.pk)
    assert kept.after_data == {"surname": "Kept"} and not kept.erased
    erasure = AuditEvent.objects.get(action="audit.personal_details.erased")
    assert erasure.actor_id == actor.pk and erasure.learner_id == learner.pk
    assert erasure.after_data == {"events": 6, "reason": "Retention: 6 years"}
    assert str(learner) not in erasure.learner_repr + erasure.object_repr
    call_command("verify_audit_trail")
    # Later events about the learner are not touched by the earlier erasure.
    with committed():
        later = audit.record(actor, "learner.updated", learner, after={"step": 7})
    assert not AuditEvent.objects.get(seq=later.seq).erased
    call_command("verify_audit_trail")


def test_an_erasure_needs_a_reason(trail):
    _actor, learner = trail
    with pytest.raises(ValueError, match="Say why"):
        audit.erase_personal_details(learner.pk, by=None, reason="  ")
    assert not AuditEvent.objects.filter(action="audit.personal_details.erased").exists()


def test_details_marked_erased_without_an_erasure_are_caught(trail, committed):
    actor, learner = trail
    other = LearnerFactory(centre=learner.centre)
    with committed():
        audit.record(actor, "learner.updated", other, after={"surname": "Hidden"})
        audit.erase_personal_details(learner.pk, by=actor, reason="Retention")
    erasure = AuditEvent.objects.get(action="audit.personal_details.erased").seq
    hidden = AuditEvent.objects.get(learner_id=other.pk).seq
    # Someone hides another learner's event behind the real erasure.
    raw(
        "UPDATE audit_auditeventdetail SET salt = '', learner_repr = '', object_repr = '',"
        " before = '', after = '', erased_by_seq = %s WHERE seq = %s",
        [erasure, hidden],
    )
    result = verify_chain()
    assert not result.ok and result.broken_seq == hidden and "not a later erasure" in str(result)


def test_the_pages_say_erased_under_retention(db, client, own_centre, exams_officer, committed):
    learner = LearnerFactory(centre=own_centre)
    with committed():
        for i in range(2):
            audit.record(exams_officer, "learner.updated", learner, after={"step": i})
        audit.erase_personal_details(learner.pk, by=exams_officer, reason="Retention")
    client.force_login(exams_officer)
    page = client.get(reverse("learners:learner_detail", args=[learner.pk])).content.decode()
    assert ERASED in page and "Step" not in page
    first = AuditEvent.objects.filter(learner_id=learner.pk).order_by("seq").first()
    first_page = client.get(reverse("audit:event_detail", args=[first.seq])).content.decode()
    assert "erased under retention" in first_page and '"step"' not in first_page


def test_the_trail_pages_read_a_fixed_number_of_queries(db, client, own_centre, exams_officer):
    learner = LearnerFactory(centre=own_centre)
    client.force_login(exams_officer)

    def queries(url):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = [reverse("learners:learner_detail", args=[learner.pk]), reverse("audit:event_list")]
    audit.record(exams_officer, "learner.updated", learner, after={"n": 0})
    few = [queries(url) for url in urls]
    with audit.batch():
        for i in range(20):
            audit.record(exams_officer, "learner.updated", learner, after={"n": i}, before={})
    assert [queries(url) for url in urls] == few


def test_queries_may_still_name_the_personal_details(trail):
    from django.db.models import Q

    _actor, learner = trail
    events = AuditEvent.objects.filter(learner_repr__icontains=learner.first_name)
    assert events.count() == 6
    assert AuditEvent.objects.filter(Q(after='{"step":1}') | Q(after='{"step":2}')).count() == 2
    assert AuditEvent.objects.exclude(object_repr=str(learner)).count() == 0
    assert list(events.order_by("seq").values_list("after", flat=True)[:2]) == [
        '{"step":1}',
        '{"step":2}',
    ]
    assert events.order_by("seq").values("action", "before").first() == {
        "action": "learners.learner.updated",
        "before": '{"step":0}',
    }
    assert events.order_by("-learner_repr", "seq").first().seq == 1
