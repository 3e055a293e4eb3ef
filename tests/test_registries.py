"""The registries: audit actions read as sentences, and no code escapes them."""

import ast
import pathlib
from html import unescape

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

import audit
from audit.actions import all_actions, canonical, register_action
from audit.models import AuditEvent

from .factories import LearnerFactory

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _literal_codes():
    """Every action code written as a literal in a record() call in the project's code."""
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in (".venv", "tests", "benchmarks") or "migrations" in parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record":
                for arg in node.args[1:2]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        yield str(path.relative_to(ROOT)), arg.value


def test_every_action_code_written_in_the_code_is_registered():
    unknown = []
    for where, code in _literal_codes():
        try:
            canonical(code)
        except ImproperlyConfigured:
            unknown.append(f"{where}: {code}")
    assert unknown == []


def test_codes_follow_one_scheme_and_each_has_a_label_and_a_sentence():
    for code, action in all_actions().items():
        assert len(code.split(".")) == 3, code
        assert action.label and action.sentence
    with pytest.raises(ImproperlyConfigured, match="is not <app>.<record>.<verb>"):
        register_action("sloppy_code", "x", "y")


def test_an_unregistered_code_is_refused(db):
    with pytest.raises(ImproperlyConfigured, match="declare it with register_action"):
        audit.record(None, "made.up.thing")


def test_an_earlier_code_is_written_and_read_as_its_replacement(db):
    learner = LearnerFactory(last_name="Arkwright")
    event = audit.record(None, "learner.updated", learner, after={"reason": "Typo in the MIS"})
    assert AuditEvent.objects.get(seq=event.seq).action == "learners.learner.updated"
    assert "Typo in the MIS" in AuditEvent.objects.get(seq=event.seq).sentence


def test_the_audit_page_reads_as_sentences_and_filters_by_a_list_of_actions(
    client, exams_officer, own_centre
):
    learner = LearnerFactory(centre=own_centre, last_name="Quibell", first_name="Rosa")
    audit.record(exams_officer, "learners.learner.created", learner, after={"name": "x"})
    audit.record(
        exams_officer,
        "registrations.discrepancy.asked",
        learner,
        centre=own_centre,
        after={"question": "Is Rosa in 12B?"},
    )
    client.force_login(exams_officer)
    html = client.get(reverse("audit:event_list")).content.decode()
    assert "asked the programme leader about QUIBELL, Rosa: “Is Rosa in 12B?”" in html
    assert "<code>" not in html.split("<main", 1)[1]
    assert '<select name="action"' in html and ">Question to the programme leader<" in html
    filtered = client.get(
        reverse("audit:event_list"), {"action": "registrations.discrepancy.asked"}
    )
    assert [e.action for e in filtered.context["page"]] == ["registrations.discrepancy.asked"]


def test_the_learner_timeline_reads_as_sentences(client, exams_officer, own_centre):
    learner = LearnerFactory(centre=own_centre, last_name="Pemberton", first_name="Ivo")
    audit.record(
        exams_officer, "learners.learner.updated", learner, after={"reason": "Name corrected"}
    )
    client.force_login(exams_officer)
    html = client.get(reverse("learners:learner_detail", args=[learner.pk])).content.decode()
    assert "corrected PEMBERTON, Ivo's details. Name corrected" in unescape(html)
