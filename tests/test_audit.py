"""The audit trail: append-only, hash-chained, and loud when anyone tampers with it."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

import audit
from audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from audit.services import verify_chain

from .factories import CentreFactory, LearnerFactory, UserFactory


@pytest.fixture
def trail(db):
    """Six events on the trail, about one learner and one centre."""
    actor = UserFactory(username="recorder", first_name="Rita", last_name="Recorder")
    learner = LearnerFactory()
    for i in range(6):
        audit.record(
            actor, "learners.learner.updated", learner, before={"step": i}, after={"step": i + 1}
        )
    return actor, learner


def raw(sql, params=()):
    """Tamper as an attacker with database access would: raw SQL, around the ORM."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


INSERT_EVENT_7 = (
    "INSERT INTO audit_auditevent (seq, occurred_at, actor_id, actor_repr, action, object_type,"
    " object_id, object_repr, learner_id, learner_repr, centre_id, before, after, prev_hash, hash)"
    " VALUES (7, %s, NULL, 'intruder', 'learners.learner.updated', '', '', '', NULL, '', NULL, '', '',"
    " %s, %s)"
)


def verify_command_output():
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit_trail")
    assert exc.value.returncode != 0
    return str(exc.value)


def test_it_records_who_what_which_learner_and_the_change(trail):
    actor, learner = trail
    event = AuditEvent.objects.order_by("seq").first()
    assert event.actor_id == actor.pk
    assert "Rita Recorder" in event.actor_repr
    assert event.action == "learners.learner.updated"
    assert event.learner_id == learner.pk
    assert event.centre_id == learner.centre_id
    assert event.changes() == [("step", 0, 1)]


def test_an_intact_trail_verifies(trail, capsys):
    assert verify_chain().ok
    call_command("verify_audit_trail")
    assert "6 events" in capsys.readouterr().out


def test_it_names_an_edited_event(trail):
    raw("UPDATE audit_auditevent SET after = %s WHERE seq = 3", ['{"step":99}'])
    result = verify_chain()
    assert not result.ok and result.broken_seq == 3 and "edited" in result.reason
    assert "event #3" in verify_command_output()


def test_it_names_an_edited_actor(trail):
    raw("UPDATE audit_auditevent SET actor_repr = 'someone else' WHERE seq = 2")
    assert verify_chain().broken_seq == 2


def test_it_catches_a_deleted_middle_event(trail):
    raw("DELETE FROM audit_auditevent WHERE seq = 4")
    result = verify_chain()
    assert not result.ok and result.broken_seq == 5 and "deleted" in result.reason
    assert "#4" in verify_command_output()


def test_it_catches_the_newest_event_deleted(trail):
    raw("DELETE FROM audit_auditevent WHERE seq = 6")
    result = verify_chain()
    assert not result.ok and result.broken_seq == 6 and "newest" in result.reason
    assert "event #6" in verify_command_output()


def test_it_catches_an_inserted_event(trail):
    good = AuditEvent.objects.get(seq=6)
    raw(
        INSERT_EVENT_7,
        [good.occurred_at, good.hash, "f" * 64],
    )
    result = verify_chain()
    assert not result.ok and result.broken_seq == 7
    assert "event #7" in verify_command_output()


def test_it_catches_an_event_inserted_with_a_forged_hash_at_the_end(trail):
    """Even a correctly chained extra event is caught: the head lives outside the event rows."""
    from audit.services import FIELDS, chain_hash, event_payload

    last = AuditEvent.objects.get(seq=6)
    values = (
        7,
        last.occurred_at,
        None,
        "intruder",
        "learners.learner.updated",
        "",
        "",
        "",
        None,
        "",
        None,
        "",
        "",
    )
    forged = chain_hash(last.hash, event_payload(values))
    assert len(values) == len(FIELDS)
    raw(
        INSERT_EVENT_7,
        [last.occurred_at, last.hash, forged],
    )
    result = verify_chain()
    assert not result.ok and "appended outside" in result.reason


def test_it_catches_two_events_swapped(trail):
    raw("UPDATE audit_auditevent SET seq = 1000 WHERE seq = 2")
    raw("UPDATE audit_auditevent SET seq = 2 WHERE seq = 3")
    raw("UPDATE audit_auditevent SET seq = 3 WHERE seq = 1000")
    result = verify_chain()
    assert not result.ok and result.broken_seq == 2
    assert "event #2" in verify_command_output()


def test_the_orm_cannot_change_or_delete_events(trail):
    event = AuditEvent.objects.first()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert verify_chain().ok


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_update_and_delete_in_the_database(trail):
    from django.db.utils import DatabaseError

    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEvent.objects.count() == 6


def test_a_batch_writes_one_chain_in_one_go(db, django_assert_max_num_queries):
    centre = CentreFactory()
    with django_assert_max_num_queries(12):  # not one per event
        with audit.batch():
            for i in range(250):
                audit.record(None, "import.row", centre, after={"row": i})
    assert AuditEvent.objects.count() == 250
    assert AuditChainHead.objects.get().count == 250
    assert verify_chain().ok


def test_a_failed_batch_leaves_neither_rows_nor_events(db):
    centre = CentreFactory()
    with pytest.raises(ValueError), audit.batch():
        audit.record(None, "import.row", centre, after={"row": 1})
        centre.name = "changed"
        centre.save()
        raise ValueError("row 2 is bad")
    centre.refresh_from_db()
    assert centre.name != "changed"
    assert AuditEvent.objects.count() == 0
    assert verify_chain().ok


def test_events_continue_one_chain_across_single_and_batch_records(db):
    centre = CentreFactory()
    audit.record(None, "a", centre)
    with audit.batch():
        audit.record(None, "b", centre)
        audit.record(None, "c", centre)
    audit.record(None, "d", centre)
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "a",
        "b",
        "c",
        "d",
    ]
    assert verify_chain().ok


def test_dates_and_objects_in_values_are_stored_readably(db):
    import datetime as dt

    centre = CentreFactory()
    event = audit.record(None, "x", centre, after={"when": dt.date(2026, 10, 23), "centre": centre})
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.after_data == {"centre": centre.pk, "when": "2026-10-23"}
    assert verify_chain().ok
