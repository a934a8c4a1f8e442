"""``python -m kernel.bench --compare BASE.json``: this run's rows beside a saved run's.

Rows are matched by id. What is compared is each row's ratio (kernel ÷ anchor, both measured in
the same run, so it travels between runs better than either time); the kernel side's own change is
shown beside it. A row is flagged ``WORSE`` when its ratio grew by more than the noise: the larger
`Row.spread` of the two runs (the interquartile range of the per-round ratios, as a fraction of
their median), or `DEFAULT_NOISE` when neither run recorded rounds (JSON written before rounds were
kept, ``--quick``, a one-round workload). Single rounds wobble more than their median does, so a
flag means a change bigger than the typical round's wobble.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import TYPE_CHECKING, Final

from kernel.bench.runner import format_value, relative_spread

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from kernel.bench.runner import Row

__all__ = [
    "DEFAULT_NOISE",
    "Change",
    "Entry",
    "compare",
    "format_comparison",
    "load",
]

DEFAULT_NOISE: Final = 0.10
"""The noise assumed for a row without rounds: run-to-run ranges on a shared 2-core machine
(docs/performance.md) are mostly within 10%."""
WORSE: Final = "WORSE"
BETTER: Final = "better"
SAME: Final = "within noise"
NEW: Final = "new"
GONE: Final = "gone"
DIFFERENT: Final = "workload differs"
UNCOMPARABLE: Final = "no ratio"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One row of one run, as `compare` needs it: from a `Row` or from a ``--json`` file."""

    id: str
    workload: str
    unit: str
    kernel: float
    anchor: float
    spread: float | None
    """`Row.spread`: the per-round ratios' relative interquartile range; None if not recorded."""

    @property
    def ratio(self) -> float | None:
        """``kernel / anchor``, or None when that is not a positive number."""
        if self.anchor == 0:
            return None
        ratio = self.kernel / self.anchor
        return ratio if ratio > 0 and math.isfinite(ratio) else None

    @classmethod
    def from_row(cls, row: Row) -> Entry:
        """The entry of a row measured in this run."""
        return cls(
            id=row.id,
            workload=row.workload,
            unit=row.unit,
            kernel=row.kernel,
            anchor=row.anchor,
            spread=row.spread,
        )

    @classmethod
    def from_json(cls, item: object, where: str) -> Entry:
        """The entry of one ``rows`` item of a ``--json`` file.

        Reads files from before rounds were kept: without ``kernel_rounds``/``anchor_rounds``
        the spread is None.

        Raises:
            ValueError: a field is missing or has the wrong type; the message names `where`.
        """
        if not isinstance(item, dict):
            msg = f"{where}: expected an object, got {item!r}"
            raise ValueError(msg)
        kernel_rounds = item.get("kernel_rounds", [])
        anchor_rounds = item.get("anchor_rounds", [])
        if not (
            isinstance(kernel_rounds, list)
            and isinstance(anchor_rounds, list)
            and len(kernel_rounds) == len(anchor_rounds)
            and all(_is_number(v) for v in [*kernel_rounds, *anchor_rounds])
        ):
            msg = f"{where}: kernel_rounds and anchor_rounds must be lists of numbers of one length"
            raise ValueError(msg)
        ratios = [k / a for k, a in zip(kernel_rounds, anchor_rounds, strict=True) if a != 0]
        return cls(
            id=_text(item, "id", where),
            workload=_text(item, "workload", where),
            unit=_text(item, "unit", where),
            kernel=_number(item, "kernel", where),
            anchor=_number(item, "anchor", where),
            spread=relative_spread(ratios),
        )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(item: Mapping[str, object], name: str, where: str) -> str:
    value = item.get(name)
    if isinstance(value, str):
        return value
    msg = f"{where}: field {name!r} should be a string, got {value!r}"
    raise ValueError(msg)


def _number(item: Mapping[str, object], name: str, where: str) -> float:
    value = item.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    msg = f"{where}: field {name!r} should be a number, got {value!r}"
    raise ValueError(msg)


def load(path: str) -> list[Entry]:
    """The rows of a file written by ``python -m kernel.bench --json``.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not such a file (the message names the file and what is wrong).
    """
    with open(path, encoding="utf-8") as file:
        try:
            document = json.load(file)
        except json.JSONDecodeError as error:
            msg = f"{path}: not JSON ({error})"
            raise ValueError(msg) from error
    rows = document.get("rows") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        msg = f"{path}: no 'rows' list; expected a file written by --json"
        raise ValueError(msg)
    return [Entry.from_json(item, f"{path}: row {index}") for index, item in enumerate(rows)]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One row of the comparison: the saved run's entry and this run's (either may be missing)."""

    id: str
    base: Entry | None
    now: Entry | None

    @property
    def change(self) -> float | None:
        """The ratio's relative change, ``now / base - 1``; None if either ratio is missing."""
        if self.base is None or self.now is None:
            return None
        base, now = self.base.ratio, self.now.ratio
        return None if base is None or now is None else now / base - 1

    @property
    def kernel_change(self) -> float | None:
        """The kernel side's relative change, for information (absolute times drift)."""
        if self.base is None or self.now is None or self.base.kernel == 0:
            return None
        return self.now.kernel / self.base.kernel - 1

    @property
    def noise(self) -> float:
        """The larger recorded spread of the two runs, else `DEFAULT_NOISE`."""
        spreads = [
            e.spread for e in (self.base, self.now) if e is not None and e.spread is not None
        ]
        return max(spreads) if spreads else DEFAULT_NOISE

    @property
    def is_assumed_noise(self) -> bool:
        """True when neither run recorded the row's rounds, so `noise` is `DEFAULT_NOISE`."""
        return all(e is None or e.spread is None for e in (self.base, self.now))

    @property
    def verdict(self) -> str:
        """``WORSE`` if the ratio grew beyond the noise, ``better`` if it shrank beyond it,
        ``within noise``; ``new``/``gone`` for a row in one run only; ``workload differs`` when
        the rows describe different measurements (sizes, method); ``no ratio`` when a ratio is
        not a positive number."""
        if self.base is None:
            return NEW
        if self.now is None:
            return GONE
        if self.base.workload != self.now.workload:
            return DIFFERENT
        change = self.change
        if change is None:
            return UNCOMPARABLE
        if change > self.noise:
            return WORSE
        return BETTER if change < -self.noise else SAME


def compare(base: Sequence[Entry], now: Sequence[Entry]) -> list[Change]:
    """Pair this run's entries with the saved run's by id.

    Returns:
        One `Change` per entry of `now`, in its order, then one per entry of `base` that `now`
        lacks although its workload (the id's first word, e.g. ``P4``) was run: a row that
        disappeared. Saved rows of workloads not run this time (``--only``) are left out.
    """
    saved = {entry.id: entry for entry in base}
    ids = {entry.id for entry in now}
    workloads = {entry.id.split()[0] for entry in now}
    changes = [Change(id=entry.id, base=saved.get(entry.id), now=entry) for entry in now]
    changes += [
        Change(id=entry.id, base=entry, now=None)
        for entry in base
        if entry.id not in ids and entry.id.split()[0] in workloads
    ]
    return changes


def format_comparison(changes: Sequence[Change]) -> str:
    """The changes as a Markdown table: ratios then and now, the change against the noise."""
    lines = [
        "| row | ratio then | ratio now | change | noise | kernel then | kernel now | change"
        " | verdict |",
        "|---|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for item in changes:
        noise = f"{item.noise:.1%}" + (" (assumed)" if item.is_assumed_noise else "")
        cells = [
            item.id,
            _ratio(item.base),
            _ratio(item.now),
            _percent(item.change),
            noise,
            _kernel(item.base),
            _kernel(item.now),
            _percent(item.kernel_change),
            item.verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ratio(entry: Entry | None) -> str:
    ratio = None if entry is None else entry.ratio
    return "-" if ratio is None else f"{ratio:#.3g}"


def _kernel(entry: Entry | None) -> str:
    return "-" if entry is None else f"{format_value(entry.kernel)} {entry.unit}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"
