"""The demo loader: idempotent, every role covered, and nothing real in it."""

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import RoleAssignment
from accounts.roles import Role
from audit.services import verify_chain
from centres.models import Centre
from learners.models import Learner
from learners.validators import uci_problem, uln_problem

ROOT = Path(__file__).resolve().parent.parent

# SHA-256 of the (lower-case) people's, schools' and initials' names in the seed policies,
# so this test can look for them without the repository ever spelling them out.
FORBIDDEN = {
    "1b65031f7378a1e25c8c0e71fc701b28fe7076212837f7c14eceae01b63db544",
    "196682868276a9e5ca47242b34e2b755c52496ec471434ef9eef66fb64530c10",
    "23394beb739b4c9a79cc4e8bec392a2e7f21ccadf1d8eeb1ff6cfc81b44144e7",
    "c579b77a341a2ea56fb50e2347fbf1db4697b5aff04eb65b631b1e5bb9d864a3",
    "a7d89b738ad31446e3e51b7eff3ee24fd850bf5b8c81d1495cd0c8e22ce197b2",
    "65927925fe624071576e677c0336221f25956182d13801f2e1d3f787c327173d",
    "c2c45ce54f89f0797939786e130168ddc5b56fd0808f1c7dc1c077c4618f886a",
    "9270d68b430abc0c5e8288d115e6428bb8c415a2a7089a8afe0dfb3d2b558b34",
    "536741134b124ccbe43be2f63a07aba6c9c61a458a4c2fefd26f18a520191add",
    "29376104176a62a29af4a337e0c10b4ca74e4f751696b0c393840788d107422d",
}


def _counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label not in {"sessions"}
    }


def test_loading_the_demo_twice_changes_nothing(db, capsys):
    call_command("load_demo")
    first = _counts()
    call_command("load_demo")
    assert _counts() == first
    assert verify_chain().ok
    assert first["centres.Centre"] == 2 and 55 <= first["learners.Learner"] <= 70
    assert first["centres.CollaborativeArrangement"] == 1


def test_the_demo_has_a_lead_and_partner_centre_and_a_user_for_every_role(db):
    call_command("load_demo")
    assert Centre.objects.count() == 2
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == {r.value for r in Role}
    # Consortium students: partner-centre learners taught in a group delivered at the lead centre.
    assert Learner.objects.filter(
        teaching_groups__delivering_centre__number="91234", centre__number="91567"
    ).exists()


def test_demo_learners_have_valid_identifiers(db):
    call_command("load_demo")
    for learner in Learner.objects.all():
        assert uln_problem(learner.uln) is None
        assert uci_problem(learner.uci) is None


@pytest.mark.parametrize("debug,shown", [(True, True), (False, False)])
def test_demo_passwords_are_printed_only_in_debug(db, settings, capsys, debug, shown):
    from btecqa.demo import DEMO_PASSWORD

    settings.DEBUG = debug
    call_command("load_demo")
    assert (DEMO_PASSWORD in capsys.readouterr().out) is shown


def _tracked_text_files():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        path = ROOT / name
        if path.is_file() and path.suffix not in {".woff2", ".png", ".xlsx", ".pdf", ".lock"}:
            yield name, path.read_text(errors="ignore")


def test_no_name_from_the_policy_documents_appears_anywhere_in_the_project():
    hits = []
    for name, text in _tracked_text_files():
        words = re.findall(r"[a-z]+", text.lower())
        for n in (1, 2):
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i : i + n])
                if hashlib.sha256(phrase.encode()).hexdigest() in FORBIDDEN:
                    hits.append(f"{name}: word {i}")
    assert hits == []


def test_the_demo_round_is_part_way_through(db):
    from registrations.models import Discrepancy, EntryList

    call_command("load_demo")
    statuses = sorted(EntryList.objects.values_list("status", flat=True))
    assert statuses == ["awaiting_signature", "draft", "signed"]  # draft: partner requested
    open_ = Discrepancy.objects.exclude(status="resolved")
    assert open_.count() >= 1
    assert open_.filter(kind="not_entered").exists()
