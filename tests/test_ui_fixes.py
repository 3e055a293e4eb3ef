"""What a new user hit (issue 10, item 7), as they would notice it: form errors beside their
field, programmes told apart in the learner filter, the register's candidate number and
date of birth, no badge for a count of 0, and the admin's forms under the site's CSP."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import django.contrib.admin
import pytest
import time_machine
from django.core.management import call_command
from django.test.html import Element, parse_html
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from btecqa.forms import FORM_INCOMPLETE, FORM_REFUSED
from centres import services as arrangements
from registrations import entry_check, services
from registrations.models import (
    CentreCalendar,
    ChangeRequest,
    Discrepancy,
    EntryList,
    EntryRequest,
    Registration,
    RegistrationStep,
)
from signatures import services as signing
from todos.kinds import register_kind
from todos.models import ToDo
from todos.services import open_todo

from . import test_registration_round as round_tests
from .factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    RoleAssignmentFactory,
    join,
)
from .test_registration_round import TODAY, _returned, _signed

R = Role

for _code in ("ui.late", "ui.soon"):
    register_kind(_code, f"Test action {_code}", owner=Role.EXAMS_OFFICER)
DOB = dt.date(2009, 5, 17)
# The September round's fixtures: a programme of three learners and its open round.
_september, cohort, rnd = round_tests._september, round_tests.cohort, round_tests.rnd
ROOT = Path(__file__).resolve().parent.parent


# --- the admin under the CSP ----------------------------------------------------------


def test_the_admin_forms_css_is_djangos_own_without_its_import():
    """static/admin/css/forms.css stands in for Django's (whose @import axe re-inserts as an
    inline sheet the CSP refuses): it must stay Django's rules, line for line."""
    djangos = Path(django.contrib.admin.__file__).parent / "static/admin/css/forms.css"
    theirs = djangos.read_text().splitlines()
    ours = (ROOT / "static/admin/css/forms.css").read_text().splitlines()
    assert theirs[0] == "@import url('widgets.css');", "Django's forms.css changed: copy it again"
    comment_end = ours.index(next(line for line in ours if line.rstrip().endswith("*/")))
    assert ours[comment_end + 1 :] == theirs[1:], "Django's forms.css changed: copy it again"
    assert not any("@import" in line for line in ours[comment_end + 1 :])
    base_site = (ROOT / "templates/admin/base_site.html").read_text()
    assert "admin/css/widgets.css" in base_site


# --- form errors beside their field, the record's at the top of the form -------------------


def _tree(response) -> Element:
    return parse_html(response.content.decode())


def _walk(node):
    """Every element under `node` (itself included), in document order."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Element):
            yield n
            stack.extend(reversed(n.children))


def _attr(element: Element, name: str) -> str:
    return dict(element.attributes).get(name) or ""


def _by_id(node, element_id: str) -> Element:
    for element in _walk(node):
        if _attr(element, "id") == element_id:
            return element
    raise AssertionError(f"nothing on the page has id {element_id!r}")


def _named(node, tag: str) -> list[Element]:
    return [e for e in _walk(node) if e.name == tag]


def _text(node) -> str:
    if isinstance(node, str):
        return node
    return re.sub(r"\s+", " ", " ".join(_text(c) for c in node.children)).strip()


def _form_posting_to(response, url: str) -> Element:
    (form,) = [f for f in _named(_tree(response), "form") if _attr(f, "action") == url]
    return form


def _beside(response, field_id: str) -> str:
    """The text of the field's own block (crispy's div_<id>): its label, input and error."""
    return _text(_by_id(_tree(response), f"div_{field_id}"))


def _banner(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def arrangement(cast, own_centre, partner_centre):
    a = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Vale Consortium",
        programme_code="CONS1",
        first_year="2026/27",
        by=cast[R.QUALITY_NOMINEE],
    )
    join(a, partner_centre)  # accepted: the lead centre owes Pearson a message
    return a


def test_an_invitation_refused_shows_why_in_the_invite_form(
    client, cast, arrangement, partner_centre
):
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = reverse("centres:partner_invite", args=[arrangement.pk])

    nothing_chosen = client.post(url, {"centre": ""})
    assert nothing_chosen.status_code == 200  # the arrangement's page again, not a redirect
    assert "This field is required." in _beside(nothing_chosen, "id_centre")
    assert _banner(nothing_chosen) == [FORM_REFUSED]  # the banner only points to the form

    already = client.post(url, {"centre": partner_centre.pk})  # a partner already
    assert "not one of the available choices" in _beside(already, "id_centre")
    assert arrangement.partners.count() == 1


def test_pearson_told_without_a_reference_shows_the_error_by_that_field(client, cast, arrangement):
    todo = ToDo.objects.get(kind="arrangement.tell_pearson", closed_at=None)
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = reverse("centres:pearson_told", args=[arrangement.pk, todo.pk])
    response = client.post(url, {"told_on": "10/09/2026", "reference": " "})
    assert response.status_code == 200
    assert "This field is required." in _beside(response, f"told-{todo.pk}-reference")
    assert "required" not in _beside(response, f"told-{todo.pk}-told_on")
    page = _text(_tree(response))
    assert 'value="10/09/2026"' in response.content.decode()  # what was typed stays
    assert "Record Pearson told" in page
    todo.refresh_from_db()
    assert todo.closed_at is None


@pytest.mark.usefixtures("_september")
def test_a_wrong_password_is_shown_by_the_password_field_and_signing_again_works(
    client, cast, rnd, cohort
):
    entry_list = _returned(rnd, cohort, cast)
    client.force_login(cast[R.PROGRAMME_LEADER])
    url = reverse("registrations:entry_list_sign", args=[entry_list.pk])
    seen = signing.current_sha256(entry_list)

    wrong = client.post(url, {"password": "not-my-password", "seen": seen})
    assert wrong.status_code == 200
    assert "That password is not right" in _beside(wrong, "id_password")
    assert _banner(wrong) == [FORM_REFUSED]
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.AWAITING_SIGNATURE

    # The list changes while the page is open: refused at the top of the form; the form
    # shown again carries what the page now shows, so signing from it works.
    Registration.objects.filter(pk=cohort.registrations.first().pk).update(pathway="Sport")
    stale = client.post(url, {"password": PASSWORD, "seen": seen})
    form = _form_posting_to(stale, url)
    assert "changed" in _text(form).lower()
    now_shown = signing.current_sha256(entry_list)
    assert now_shown != seen and f'value="{now_shown}"' in str(form)
    client.post(url, {"password": PASSWORD, "seen": now_shown})
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED


@pytest.mark.usefixtures("_september")
def test_a_submission_date_that_is_not_a_date_is_shown_by_its_field(client, cast, rnd, cohort):
    entry_list = _signed(rnd, cohort, cast)
    client.force_login(cast[R.EXAMS_OFFICER])
    url = reverse("registrations:entry_list_submit", args=[entry_list.pk])
    response = client.post(url, {"submitted_on": "31/02/2026", "lock": entry_list.lock_version})
    assert response.status_code == 200
    assert "Enter a valid date." in _beside(response, "id_submitted_on")
    assert "Enter a valid date." not in " ".join(_banner(response))
    # Stale: someone amended the list meanwhile. The reason is on the form and the banner,
    # and the form now carries the list's new version.
    response = client.post(url, {"submitted_on": "14/09/2026", "lock": entry_list.lock_version - 1})
    assert "Someone else changed this entry list" in _text(_form_posting_to(response, url))
    assert f'value="{entry_list.lock_version}"' in str(_form_posting_to(response, url))
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED


@pytest.mark.usefixtures("_september")
def test_requesting_entries_without_a_due_date_shows_it_by_the_field(client, cast, rnd, cohort):
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("registrations:request_entries", args=[rnd.pk]), {"cohort": cohort.pk}
    )
    assert response.status_code == 200
    assert "This field is required." in _beside(response, "id_due_date")
    assert "This field is required." not in _beside(response, "id_cohort")
    assert not EntryRequest.objects.exists()


@pytest.mark.usefixtures("_september")
def test_proposals_keep_the_ticks_and_show_the_pathway_problem_by_the_pathway(
    client, cast, rnd, cohort
):
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=rnd.opened_by)
    learner = cohort.teaching_groups.get().learners.order_by("last_name").first()
    client.force_login(cast[R.PROGRAMME_LEADER])
    url = reverse("registrations:proposals", args=[req.pk])

    response = client.post(url, {"learner": [learner.pk], "pathway": "Sport\x0bScience"})
    assert response.status_code == 200
    tree = _tree(response)
    assert "control character" in _text(_by_id(tree, "pathway-error"))
    assert dict(_by_id(tree, "id_pathway").attributes)["aria-describedby"] == "pathway-error"
    ticked = _by_id(tree, f"l{cohort.teaching_groups.get().pk}-{learner.pk}")
    assert "checked" in dict(ticked.attributes)
    assert not Registration.objects.exists()

    nobody = client.post(url, {"pathway": "Sport"})
    assert "Tick the learners to propose." in _text(_by_id(_tree(nobody), "learner-error"))
    assert not Registration.objects.exists()


@pytest.fixture
def discrepancy(cast, own_centre, rnd, cohort):
    CentreCalendar.objects.create(
        centre=own_centre,
        academic_year="2026/27",
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=dt.date(2026, 10, 26),
    )
    qn = cast[R.QUALITY_NOMINEE]
    check = entry_check.start_entry_check(rnd, by=qn)
    learner = cohort.teaching_groups.get().learners.first()
    return entry_check.record_discrepancy(
        check, learner=learner, cohort=cohort, kind="other", detail="Check", by=qn
    )


@pytest.mark.usefixtures("_september")
def test_a_blank_question_is_shown_by_its_field_and_a_stale_one_at_the_forms_top(
    client, cast, discrepancy
):
    d = discrepancy
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = reverse("registrations:discrepancy_ask", args=[d.pk])

    blank = client.post(url, {"question": "   ", "lock": d.lock_version})
    assert blank.status_code == 200
    assert "This field is required." in _beside(blank, "ask_question")
    assert _banner(blank) == [FORM_REFUSED]

    stale = client.post(url, {"question": "Right class?", "lock": d.lock_version + 1})
    form = _form_posting_to(stale, url)
    assert "Someone else changed this discrepancy" in _text(form)
    assert f'value="{d.lock_version}"' in str(form)  # sent again, it acts on the page as shown
    assert 'value="Right class?"' in str(form) or "Right class?" in _text(form)

    incomplete = client.post(url, {"question": "Right class?"})
    assert FORM_INCOMPLETE in _text(_form_posting_to(incomplete, url))
    d.refresh_from_db()
    assert d.status == Discrepancy.Status.OPEN and d.question == ""


def test_a_verification_note_with_a_control_character_is_shown_by_the_note(
    client, cast, own_centre
):
    """The Quality Nominee's verification of a new starter: the note's problem by the note."""
    from .test_changes import action, new_url, submit_cohort

    with time_machine.travel(dt.datetime(2026, 10, 5, 10, 0), tick=True):
        call_command("load_registration_years")
        eo, pl, qn = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER], cast[R.QUALITY_NOMINEE]
        first = LearnerFactory(centre=own_centre, last_name="Ashworth")
        cohort = submit_cohort(own_centre, eo, pl, "BTEC National in Testing", [first])
        late = LearnerFactory(centre=own_centre, last_name="Latham")
        client.force_login(pl)
        client.post(
            new_url(learner=late.pk, kind="new_starter"),
            {"cohort": cohort.pk, "details": "Joined in October"},
        )
        cr = ChangeRequest.objects.get()
        action(client, eo, cr)
        client.force_login(qn)
        url = reverse("registrations:change_verify", args=[cr.pk])
        response = client.post(url, {"note": "Options\x0bagreed"})
    assert response.status_code == 200
    assert "control character" in _beside(response, "id_verify_note")
    assert _banner(response) == [FORM_REFUSED]
    assert not RegistrationStep.objects.filter(what="Verified with the Quality Nominee").exists()


# --- the learner list's programme filter ------------------------------------------------


def _options(response, name: str) -> list[str]:
    (select,) = [e for e in _named(_tree(response), "select") if _attr(e, "name") == name]
    return [_text(option) for option in _named(select, "option")]


def test_the_cohort_filter_names_each_cohorts_centre_and_year(
    client, own_centre, other_centre, make_user
):
    """Two centres each run Business 2026/27: the filter tells them apart, by centre, then
    qualification, newest year first."""
    officer = make_user("two_centres", R.EXAMS_OFFICER, centre=own_centre)
    RoleAssignmentFactory(user=officer, centre=other_centre, role=R.EXAMS_OFFICER)
    business = QualificationFactory(title="BTEC National Extended Certificate in Business")
    art = QualificationFactory(title="BTEC National Extended Certificate in Art")
    for centre, qualification, year in [
        (other_centre, business, "2026/27"),
        (own_centre, business, "2025/26"),
        (own_centre, business, "2026/27"),
        (own_centre, art, "2026/27"),
    ]:
        CohortFactory(centre=centre, qualification=qualification, start_year=year)
    client.force_login(officer)
    options = _options(client.get(reverse("learners:learner_list")), "cohort")
    assert options == [
        "Any programme",
        "BTEC National Extended Certificate in Art 2026/27 · Own Test Academy (40001)",
        "BTEC National Extended Certificate in Business 2026/27 · Own Test Academy (40001)",
        "BTEC National Extended Certificate in Business 2025/26 · Own Test Academy (40001)",
        "BTEC National Extended Certificate in Business 2026/27 · Unrelated Test College (40003)",
    ]


# --- the register: candidate number and date of birth ------------------------------------


def test_the_register_shows_each_learners_candidate_number_and_date_of_birth(
    client, cast, own_centre
):
    from .test_changes import submit_cohort

    call_command("load_registration_years")
    learner = LearnerFactory(
        centre=own_centre, last_name="Ashworth", candidate_number="0042", date_of_birth=DOB
    )
    with time_machine.travel(dt.datetime(2026, 10, 5, 10, 0), tick=True):
        submit_cohort(
            own_centre, cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER], "BTEC Nat", [learner]
        )
        client.force_login(cast[R.EXAMS_OFFICER])
        response = client.get(reverse("registrations:register"))
    table = _by_id(_tree(response), "register")
    (head,) = [r for r in _named(table, "tr") if _cells(r, "th")]
    headings = [_text(c) for c in _cells(head, "th")]
    (row,) = [r for r in _named(table, "tr") if _cells(r, "td")]
    cells = dict(zip(headings, [_text(c) for c in _cells(row, "td")], strict=True))
    assert cells["Cand. no."] == "0042"
    assert cells["Date of birth"] == "17/05/2009"


def _cells(row, kind: str) -> list[Element]:
    return [c for c in row.children if isinstance(c, Element) and c.name == kind]


# --- no badge for a count of 0 -----------------------------------------------------------


def _heading(response, heading_id: str) -> Element:
    return _by_id(_tree(response), heading_id)


def _badges(node) -> list[str]:
    return [_text(e) for e in _walk(node) if "badge" in _attr(e, "class").split()]


def test_the_dashboard_shows_no_badge_for_nothing_overdue_or_open(client, cast, own_centre):
    officer = cast[R.EXAMS_OFFICER]
    client.force_login(officer)
    empty = client.get(reverse("dashboard"))
    assert _badges(_heading(empty, "overdue-heading")) == []
    assert _badges(_heading(empty, "open-heading")) == []
    assert "Nothing overdue." in _text(_tree(empty))

    today = timezone.localdate()
    for kind, due in [("ui.late", today - dt.timedelta(days=2)), ("ui.soon", today)]:
        open_todo(kind, centre=own_centre, title=kind, due=due, assignee=officer)
    busy = client.get(reverse("dashboard"))
    assert _badges(_heading(busy, "overdue-heading")) == ["1"]
    assert _badges(_heading(busy, "open-heading")) == ["1"]


@pytest.mark.usefixtures("_september")
def test_an_empty_entry_list_and_a_clear_check_show_no_count_badge(
    client, cast, rnd, cohort, discrepancy
):
    services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=rnd.opened_by)
    client.force_login(cast[R.EXAMS_OFFICER])
    page = client.get(cohort.entry_lists.get().get_absolute_url())
    entries = [h for h in _named(_tree(page), "h2") if _text(h).startswith("Entries")]
    assert entries and _badges(entries[0]) == []

    client.force_login(cast[R.QUALITY_NOMINEE])
    check_url = reverse("registrations:check_detail", args=[discrepancy.entry_check_id])
    assert _badges(_heading(client.get(check_url), "outstanding-heading")) == ["1"]
    entry_check.resolve_discrepancy(discrepancy, by=cast[R.QUALITY_NOMINEE], note="No error")
    assert _badges(_heading(client.get(check_url), "outstanding-heading")) == []
