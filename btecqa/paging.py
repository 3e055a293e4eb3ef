"""A page of a list that is never counted: for name searches over a large centre.

Counting every learner whose name contains "son" reads the whole centre's table (LIKE with
a leading wildcard cannot use an index), while the first 50 in name order stop early. So a
text search pages by fetching one row more than it shows: there is a next page when that
row exists. The total is known, and shown, only on the page that reaches the end.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class WindowPage:
    object_list: list
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def total(self) -> int | None:
        """How many match in all: known only once the last page is reached."""
        return None if self.has_next else (self.number - 1) * self.per_page + len(self.object_list)

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def window_page(queryset, number, per_page: int) -> WindowPage:
    """The page asked for (1 when the number is missing or not a number), one query."""
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    if not rows and number > 1:  # past the end (an old link): the first page instead
        return window_page(queryset, 1, per_page)
    return WindowPage(rows[:per_page], number, per_page, has_next=len(rows) > per_page)
