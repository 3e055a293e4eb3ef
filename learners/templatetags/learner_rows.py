"""The learner list's rows, rendered in one pass rather than node by node.

The list is the page the exams officer opens most, over the whole centre; its 50 rows
through the template language (or format_html, whose lazy-string checks cost as much)
took as long as the rest of the page. The markup is what the template wrote, every value
escaped with the standard library's html.escape, as Django's own escape does.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

MISSING_ULN = '<span class="badge text-bg-warning">missing</span>'


@register.simple_tag
def learner_rows(rows):
    """<tr>s for the list's ListRow tuples (learners/views.py)."""
    return mark_safe("\n".join(_row(r) for r in rows))


def _e(value) -> str:
    return "" if value is None else escape(str(value))


def _row(r) -> str:
    preferred = (
        f' <span class="text-body-secondary">({_e(r.preferred_name)})</span>'
        if r.preferred_name
        else ""
    )
    uln = _e(r.uln) if r.uln else MISSING_ULN
    on_roll = "yes" if r.on_roll else f"left {r.left_on:%d/%m/%Y}" if r.left_on else "left"
    return (
        f'<tr>\n    <td><a href="{_e(r.url)}">{_e(r.name)}, {_e(r.first_name)}</a>{preferred}</td>'
        f"\n    <td>{_e(r.centre_number)}</td>\n    <td>{_e(r.candidate_number)}</td>"
        f"\n    <td>{uln}</td>\n    <td>{_e(r.group_names)}</td>\n    <td>{on_roll}</td>\n  </tr>"
    )
