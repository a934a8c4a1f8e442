"""The timing harness: alternate the sides, take medians, and lay out the rows.

Every workload compares a kernel side with an anchor side measured in the same process. Each side
is a *sample*: a callable that builds its own fixture, times only the operation under test, and
returns ``{metric: value}``. `alternate` runs one warm-up of each side, then the sides in turn
(A B A B …) for several rounds, with the cyclic GC collected before and disabled during each
sample, and returns, for each side, the median of every metric and its value in every round. A row
keeps the rounds, so ``--compare`` can tell a change from the noise (`Row.spread`).
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final, TypeAlias, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "JOIN_TIMEOUT",
    "Row",
    "Sample",
    "Settings",
    "Side",
    "alternate",
    "format_table",
    "format_value",
    "join_loop_thread",
    "loop_thread",
    "metadata",
    "noop",
    "per_op",
    "relative_spread",
    "stderr_progress",
    "write_json",
]

Sample: TypeAlias = "Callable[[], Mapping[str, float]]"
"""One timed repetition of one side: builds its fixture, times the operation, returns metrics."""

N = TypeVar("N", int, float)

ROUNDS: Final = 5
"""Timed rounds per side: the median of five shrugs off one slow round on a shared machine."""
QUICK_ROUNDS: Final = 1
"""One round in ``--quick``: the smoke test checks that rows appear, not what they say."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """How big and how long: the ``--quick`` switch and where progress lines go."""

    quick: bool
    """Small sizes and one round, for the smoke test."""
    progress: Callable[[str], None]
    """Receives one line per round while the suite runs."""

    def size(self, full: N, quick: N) -> N:
        """`quick` under ``--quick``, else `full`."""
        return quick if self.quick else full

    def rounds(self, full: int = ROUNDS) -> int:
        """Timed rounds per side: `full`, or `QUICK_ROUNDS` under ``--quick``."""
        return QUICK_ROUNDS if self.quick else full


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One line of the table: a kernel value, its anchor, and the goal for their ratio."""

    id: str
    """The goal's id in PERF.md, e.g. ``"P2"``; extra rows add a suffix (``"P2 reset"``)."""
    workload: str
    """What was measured, with the unit of both values (``"… [ns per keystroke]"``)."""
    unit: str
    """The unit of `kernel` and `anchor`: ``"ns"``, ``"us"``, ``"bytes"`` or ``"s"``."""
    kernel: float
    """The kernel side's median."""
    anchor: float
    """The anchor side's median."""
    goal: float | None
    """The largest acceptable ``kernel / anchor``; None for a row that only informs."""
    kernel_rounds: tuple[float, ...] = ()
    """The kernel side's value in each timed round (empty if not recorded)."""
    anchor_rounds: tuple[float, ...] = ()
    """The anchor side's value in the same rounds, paired with `kernel_rounds`."""

    def __post_init__(self) -> None:
        """Check that the rounds pair up.

        Raises:
            ValueError: `kernel_rounds` and `anchor_rounds` are both given and differ in length.
        """
        if self.kernel_rounds and len(self.kernel_rounds) != len(self.anchor_rounds):
            msg = (
                f"Row {self.id!r}: kernel_rounds has {len(self.kernel_rounds)} values but"
                f" anchor_rounds has {len(self.anchor_rounds)}; they must pair up"
            )
            raise ValueError(msg)

    @property
    def ratio(self) -> float:
        """``kernel / anchor``."""
        return self.kernel / self.anchor

    @property
    def spread(self) -> float | None:
        """How much the ratio moved between rounds: `relative_spread` of the per-round ratios
        (each round's kernel value ÷ its anchor value).

        None with fewer than two recorded rounds (``--quick``, a single-episode workload).
        """
        ratios = [k / a for k, a in zip(self.kernel_rounds, self.anchor_rounds, strict=True)]
        return relative_spread(ratios)

    @property
    def ok(self) -> bool | None:
        """True if the ratio meets the goal, None when there is no goal."""
        return None if self.goal is None else self.ratio <= self.goal

    def as_dict(self) -> dict[str, object]:
        """The row for ``--json``: every field plus `ratio`, `ok` and `spread`."""
        return {
            **dataclasses.asdict(self),
            "ratio": self.ratio,
            "ok": self.ok,
            "spread": self.spread,
        }


def relative_spread(values: Sequence[float]) -> float | None:
    """The interquartile range of `values` as a fraction of their median's size.

    Quartiles by `statistics.quantiles` with the inclusive method: with three values the IQR is
    half their range, and one wild round among ten moves it little (a range would follow it).
    None for fewer than two values or a zero median (no spread can be told).
    """
    if len(values) < 2:  # quartiles need two points
        return None
    middle = statistics.median(values)
    if middle == 0:
        return None
    first, _, third = statistics.quantiles(values, n=4, method="inclusive")
    return (third - first) / abs(middle)


@dataclasses.dataclass(frozen=True, slots=True)
class Side(Mapping[str, float]):
    """One side's results from `alternate`: reads as ``{metric: median}``, keeps every round."""

    rounds: Mapping[str, tuple[float, ...]]
    """Each metric's value in every timed round, in round order."""

    def __getitem__(self, metric: str) -> float:
        """The median of `metric` over the rounds.

        Raises:
            KeyError: the samples never returned `metric`.
        """
        return statistics.median(self.rounds[metric])

    def __iter__(self) -> Iterator[str]:
        """The metrics, in the order the samples first returned them."""
        return iter(self.rounds)

    def __len__(self) -> int:
        """The number of metrics."""
        return len(self.rounds)


def alternate(
    sides: Sequence[Sample],
    settings: Settings,
    label: str,
    *,
    rounds: int = ROUNDS,
    warmup: Sequence[Sample] | None = None,
) -> list[Side]:
    """Run each side once to warm up, then all sides in turn for `rounds` rounds.

    Args:
        sides: the samples to compare, run in this order within each round.
        settings: supplies the round count (`QUICK_ROUNDS` under ``--quick``) and progress.
        label: names the workload in progress lines.
        rounds: timed rounds in a full run.
        warmup: cheaper stand-ins for the warm-up (for samples that take seconds), else `sides`.

    Returns:
        For each side, every metric its samples returned: its median (``side[metric]``) and its
        value in each round (``side.rounds[metric]``).
    """
    for sample in sides if warmup is None else warmup:
        _run(sample)
    values: list[defaultdict[str, list[float]]] = [defaultdict(list) for _ in sides]
    count = settings.rounds(rounds)
    for number in range(1, count + 1):
        settings.progress(f"{label}: round {number}/{count}")
        for sample, collected in zip(sides, values, strict=True):
            for metric, value in _run(sample).items():
                collected[metric].append(value)
    return [Side({metric: tuple(v) for metric, v in side.items()}) for side in values]


def _run(sample: Sample) -> Mapping[str, float]:
    """One sample with the cyclic GC collected first and off throughout."""
    gc.collect()
    gc.disable()
    try:
        return sample()
    finally:
        gc.enable()


JOIN_TIMEOUT: Final = 10.0
"""Seconds to wait for a wake-up, or for a loop thread told to stop to end, before calling it hung."""


def loop_thread(target: Callable[[], object], name: str) -> threading.Thread:
    """A daemon thread (not started) to run a loop on while the main thread measures it.

    Daemon, so a loop that hangs fails its workload (`join_loop_thread`) instead of keeping the
    process from exiting after the table is printed.
    """
    return threading.Thread(target=target, name=name, daemon=True)


def join_loop_thread(thread: threading.Thread) -> None:
    """Wait for a loop thread that was told to stop.

    Raises:
        RuntimeError: it has not ended within `JOIN_TIMEOUT` seconds (a hung loop is a finding,
            never a row measured beside it).
    """
    thread.join(JOIN_TIMEOUT)
    if thread.is_alive():
        msg = f"loop thread {thread.name!r} did not end within {JOIN_TIMEOUT} s of being stopped"
        raise RuntimeError(msg)


def noop() -> None:
    """The callback every workload schedules: the cost measured is the machinery's, not its own."""


def per_op(start_ns: int, end_ns: int, count: int) -> float:
    """Nanoseconds per operation for `count` operations timed by `time.perf_counter_ns`."""
    return (end_ns - start_ns) / count


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table: ``workload | kernel | anchor | ratio | goal | ok``."""
    lines = ["| workload | kernel | anchor | ratio | goal | ok |", "|---|--:|--:|--:|--:|:-:|"]
    for row in rows:
        goal = "-" if row.goal is None else f"<= {row.goal:g}"
        ok = {None: "-", True: "yes", False: "NO"}[row.ok]
        lines.append(
            f"| {row.id} {row.workload} | {format_value(row.kernel)} {row.unit}"
            f" | {format_value(row.anchor)} {row.unit} | {row.ratio:#.3g} | {goal} | {ok} |"
        )
    return "\n".join(lines)


def format_value(value: float) -> str:
    """A value for the tables: thousands separated from 100 up, one decimal from 1, else 3 digits."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.3g}"


def metadata(started: float, quick: bool) -> dict[str, object]:
    """When and where the run happened, for ``--json`` and the table's header."""
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "quick": quick,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def write_json(path: str, rows: Sequence[Row], meta: Mapping[str, object]) -> None:
    """Write ``{"metadata": …, "rows": […]}`` to `path`."""
    document = {"metadata": dict(meta), "rows": [row.as_dict() for row in rows]}
    with open(path, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=2)
        file.write("\n")


def stderr_progress(started: float) -> Callable[[str], None]:
    """A progress sink that prints ``[bench  12.3s] <line>`` to stderr."""

    def progress(line: str) -> None:
        print(f"[bench {time.perf_counter() - started:6.1f}s] {line}", file=sys.stderr, flush=True)

    return progress
