"""The tracking grid's cells, rendered once per distinct cell rather than once per learner.

A 300 x 10 sheet has 3,000 cells but only a handful of distinct ones (a status and a
grade); rendering each through the template language was half the page's time.
"""

from functools import lru_cache

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..selectors_tracking import STATUS_LABELS

register = template.Library()


@register.simple_tag
def tracking_cells(row):
    """The row's unit cells as <td>s."""
    return mark_safe("".join(_cell_html(cell.status, cell.grade) for cell in row.cells))


@lru_cache(maxsize=256)
def _cell_html(status: str, grade: str) -> str:
    return format_html(
        '<td data-status="{}"><span class="fw-bold">{}</span> <span class="small">{}</span></td>',
        status,
        grade or "–",
        STATUS_LABELS[status],
    )
