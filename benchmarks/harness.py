"""What every benchmark shares: a timer, a peak-memory probe, and the table they print.

Each row is one figure against its floor, both measured in the same run, and
their ratio (figure / floor): the ratio is what a goal is stated in, because it
holds across machines where seconds do not.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Timing:
    seconds: float = 0.0


@contextmanager
def timed():
    """`with timed() as t: …` then t.seconds (perf_counter; garbage collected first, left on)."""
    timing = Timing()
    gc.collect()
    start = time.perf_counter()
    try:
        yield timing
    finally:
        timing.seconds = time.perf_counter() - start


def best_time(fn: Callable, repeats: int = 3) -> tuple[float, object]:
    """(the best of repeats timed calls of fn, its result): for figures short enough to repeat."""
    best, result = float("inf"), None
    for _ in range(repeats):
        with timed() as timing:
            result = fn()
        best = min(best, timing.seconds)
    return best, result


def peak_memory(fn: Callable, *args, **kwargs) -> tuple[object, int]:
    """(fn's result, the peak Python memory fn allocated above what was live when it started)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        result = fn(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - baseline


# Formatting: one function per unit, so a row prints its figure and floor alike.


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 100 else f"{value:.1f} s"


def mebibytes(value: float) -> str:
    return f"{value / 2**20:.2f} MiB"


def per_second(count: int, secs: float) -> str:
    return f"{count / secs:,.0f}/s" if secs > 0 else "n/a"


class Table:
    """Rows printed as they are measured, so a long run shows its progress."""

    WIDTHS = (34, 12, 12, 22, 8, 14)

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.rows: list[dict] = []

    def _line(self, cells) -> None:
        name, figure, floor, floor_is, ratio, goal, *rest = cells
        w = self.WIDTHS
        line = (
            f"{name:<{w[0]}} {figure:>{w[1]}} {floor:>{w[2]}}  {floor_is:<{w[3]}} "
            f"{ratio:>{w[4]}}  {goal:<{w[5]}}"
        )
        if rest and rest[0]:
            line += f" {rest[0]}"
        print(line.rstrip(), file=self.out, flush=True)

    def header(self) -> None:
        self._line(("benchmark", "figure", "floor", "floor is", "ratio", "goal"))
        self._line(
            (
                "-" * self.WIDTHS[0],
                "-" * self.WIDTHS[1],
                "-" * self.WIDTHS[2],
                "-" * self.WIDTHS[3],
                "-" * self.WIDTHS[4],
                "-" * self.WIDTHS[5],
            )
        )

    def row(
        self,
        name: str,
        figure: float,
        floor: float,
        fmt: Callable[[float], str],
        *,
        floor_is: str,
        goal: float | None = None,
        note: str = "",
    ) -> float:
        """Print figure, floor and figure/floor; with a goal (a top ratio), say if it is met."""
        ratio = figure / floor if floor else float("inf")
        if goal is None:
            verdict = "(context)"
        else:
            verdict = f"<= {goal:g}x " + ("ok" if ratio <= goal else "MISSED")
        self._line((name, fmt(figure), fmt(floor), floor_is, f"{ratio:.2f}x", verdict, note))
        self.rows.append(
            {
                "name": name,
                "figure": figure,
                "floor": floor,
                "ratio": ratio,
                "goal": goal,
                "met": goal is None or ratio <= goal,
            }
        )
        return ratio

    def note(self, text: str) -> None:
        print(f"  {text}", file=self.out, flush=True)

    @property
    def missed(self) -> list[str]:
        return [r["name"].strip() for r in self.rows if not r["met"]]
