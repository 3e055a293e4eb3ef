"""docs/POLICY_TRACE.md stays true: every clause of both seed policies has one row, and
every test it names as proof exists.

A trace that names a test nobody wrote, or leaves a clause out, would tell a standards
verifier something the software does not do.
"""

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "docs" / "POLICY_TRACE.md"


def _numbered(prefix: str, last: int) -> list[str]:
    return [f"{prefix}{n}" for n in range(1, last + 1)]


CLAUSES = [
    "000-aims",
    *_numbered("000-3.1.", 14),
    *_numbered("000-3.2.", 4),
    "000-3.3",
    "000-4",
    *_numbered("004-aim-", 3),
    *_numbered("004-duty-", 8),
    *_numbered("004-reg-", 3),
    *_numbered("004-change-", 3),
    *_numbered("004-check-", 3),
    *_numbered("004-cert-", 6),
]

ROW = re.compile(r"^\|\s*`(?P<id>00[04]-[^`]+)`\s*\|(?P<rest>.*)\|\s*$")
TEST_REF = re.compile(r"tests/[\w/]+\.py::[\w:]+(?:\[[^\]]*\])?")
NOT_BUILT = re.compile(r"Not built yet \(issue 1[1-4]\b")


def _rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in TRACE.read_text(encoding="utf-8").splitlines():
        if match := ROW.match(line):
            cells = [c.strip() for c in match["rest"].split("|")]
            rows.append((match["id"], cells))
    return rows


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _defines(body, names: list[str]) -> bool:
    """The names are nested definitions: Class::Class::function, the last a function."""
    head, rest = names[0], names[1:]
    for node in body:
        if rest and isinstance(node, ast.ClassDef) and node.name == head:
            return _defines(node.body, rest)
        if not rest and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name == head:
                return True
    return False


def test_the_clause_ids_are_the_policies_47():
    assert len(CLAUSES) == len(set(CLAUSES)) == 47


def test_every_clause_has_exactly_one_row():
    found = [clause for clause, _ in _rows()]
    missing = [c for c in CLAUSES if c not in found]
    repeated = sorted({c for c in found if found.count(c) > 1})
    unknown = sorted(set(found) - set(CLAUSES))
    assert (missing, repeated, unknown) == ([], [], []), (
        f"missing: {missing}; repeated: {repeated}; not a clause id: {unknown}"
    )


def test_every_test_named_exists():
    refs = TEST_REF.findall(TRACE.read_text(encoding="utf-8"))
    assert refs, "the trace names no tests at all"
    missing = []
    for ref in refs:
        path, _, names = ref.partition("::")
        names = re.sub(r"\[[^\]]*\]$", "", names).split("::")
        file = ROOT / path
        if not (
            file.is_file() and names[-1].startswith("test") and _defines(_tree(file).body, names)
        ):
            missing.append(ref)
    assert missing == [], "named in docs/POLICY_TRACE.md but not found:\n" + "\n".join(missing)


def test_a_clause_is_either_proved_by_tests_or_says_which_issue_builds_it():
    """'Built' or 'Partly' with no test would be a claim nobody checks."""
    unproved, unplaced = [], []
    for clause, cells in _rows():
        status = cells[1] if len(cells) > 1 else ""
        tests = TEST_REF.findall(" ".join(cells[2:]))
        if status.startswith(("Built", "Partly")):
            if not tests:
                unproved.append(clause)
        elif not NOT_BUILT.match(status):
            unplaced.append(clause)
    assert (unproved, unplaced) == ([], []), (
        f"built or partly built but no test named: {unproved}; "
        f"neither built nor placed in an issue: {unplaced}"
    )


def test_the_checker_finds_a_missing_test_and_a_class_method():
    """The existence check itself: a function, a method of a class, and one that is not there."""
    source = (
        "class TestX:\n    def test_in_class(self):\n        pass\n\ndef test_top():\n    pass\n"
    )
    tree = ast.parse(source)
    assert _defines(tree.body, ["test_top"])
    assert _defines(tree.body, ["TestX", "test_in_class"])
    assert not _defines(tree.body, ["test_in_class"])
    assert not _defines(tree.body, ["TestX", "test_top"])
    assert not _defines(tree.body, ["test_absent"])
