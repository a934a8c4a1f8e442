"""``python -m kernel.bench``: run the workloads and print the table (docs/performance.md).

Options: ``--quick`` (small sizes, one round: a few seconds), ``--only P2,P5`` (pick workloads),
``--json FILE`` (every row and the run's metadata), ``--compare BASE.json`` (after the table, each
row beside the same row of a saved ``--json`` run, with the change and a flag for rows worse
beyond the noise; see `kernel.bench.compare`), ``--plot FILE`` (instead of the table, draw
per-operation cost against pending timers; needs the ``bench`` extra, matplotlib). A missed goal
or a worse row is reported in the tables, never through the exit code.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Final

from kernel.bench import (
    compare,
    p1_tasks,
    p2_debounce,
    p3_fire,
    p4_scaling,
    p5_events,
    p6_idle_tick,
    p7_selector,
    p7_wakeup,
    p8_idle_cpu,
    p8_idle_reader,
    p9_memory,
    p10_io_wakeup,
    p11_thread_roundtrip,
    p12_asyncio_host,
    p13_urwid_host,
    p14_instruments,
    p15_demo,
)
from kernel.bench.runner import Row, Settings, format_table, metadata, stderr_progress, write_json

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["WORKLOADS", "main"]

WORKLOADS: Final[dict[str, Callable[[Settings], list[Row]]]] = {
    "P1": p1_tasks.measure,
    "P2": p2_debounce.measure,
    "P3": p3_fire.measure,
    "P4": p4_scaling.measure,
    "P5": p5_events.measure,
    "P6": p6_idle_tick.measure,
    "P7": p7_wakeup.measure,
    "P8": p8_idle_cpu.measure,
    "P9": p9_memory.measure,
    "P7S": p7_selector.measure,
    "P8R": p8_idle_reader.measure,
    "P10": p10_io_wakeup.measure,
    "P11": p11_thread_roundtrip.measure,
    "P12": p12_asyncio_host.measure,
    "P13": p13_urwid_host.measure,
    "P14": p14_instruments.measure,
    "P15": p15_demo.measure,
}
"""Every workload by its goal id in PERF.md, in the order they run."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected workloads, print the table, and return 0 (goals missed or not)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.plot is not None and args.compare is not None:
        parser.error("--compare compares the table's rows; --plot prints no table")
    base = None if args.compare is None else _load_base(parser, args.compare)
    started = time.perf_counter()
    settings = Settings(quick=args.quick, progress=stderr_progress(started))
    if args.plot is not None:
        from kernel.bench import plot  # matplotlib is optional: import on demand

        plot.draw(args.plot, settings)
        return 0
    rows: list[Row] = []
    for workload in args.only:
        rows.extend(WORKLOADS[workload](settings))
    meta = metadata(started, args.quick)
    print(
        f"kernel.bench {meta['date']}  {meta['python']}  {meta['platform']}"
        f"  cpus={meta['cpu_count']}  {'quick' if args.quick else 'full'} run"
        f" in {meta['wall_seconds']} s"
    )
    print(format_table(rows))
    if args.json is not None:
        write_json(args.json, rows, meta)
    if base is not None:
        now = [compare.Entry.from_row(row) for row in rows]
        print(f"\nCompared with {args.compare} (ratio: lower is better):")
        print(compare.format_comparison(compare.compare(base, now)))
    return 0


def _load_base(parser: argparse.ArgumentParser, path: str) -> list[compare.Entry]:
    """The saved run, read before measuring so a bad path fails at once (exit status 2)."""
    try:
        return compare.load(path)
    except (OSError, ValueError) as error:
        parser.error(f"--compare: {error}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kernel.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument(
        "--only",
        type=_workload_ids,
        default=list(WORKLOADS),
        metavar="P1,P2,...",
        help="run only these workloads (default: all)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write every row to FILE as JSON")
    parser.add_argument(
        "--compare",
        metavar="BASE.json",
        help="after the table, compare each row with a run saved by --json",
    )
    parser.add_argument(
        "--plot", metavar="FILE", help="draw per-op cost vs pending timers to FILE (PNG)"
    )
    return parser


def _workload_ids(text: str) -> list[str]:
    ids = [part.strip().upper() for part in text.split(",") if part.strip()]
    unknown = [workload for workload in ids if workload not in WORKLOADS]
    if unknown or not ids:
        msg = f"unknown workload(s) {unknown or text!r}; choose from {', '.join(WORKLOADS)}"
        raise argparse.ArgumentTypeError(msg)
    return [workload for workload in WORKLOADS if workload in ids]


if __name__ == "__main__":
    sys.exit(main())
