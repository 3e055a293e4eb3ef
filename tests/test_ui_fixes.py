"""What a new user hit (issue 10, item 7), as they would notice it: form errors beside their
field, programmes told apart in the learner filter, the register's candidate number and
date of birth, no badge for a count of 0, and the admin's forms under the site's CSP."""

from __future__ import annotations

from pathlib import Path

import django.contrib.admin

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
