"""Text for people: the stats panel's lines and the shutdown report printed at exit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from kernel import RuntimeStats, ShutdownReport
    from kernel.instruments import LatencyHistogram

__all__ = ["format_shutdown_report", "stats_lines"]

PERCENTILES: Final = (50, 90, 99)
"""The stats panel's latency rows: the typical tick, a slow one, and the one a user notices."""


def stats_lines(stats: RuntimeStats, histogram: LatencyHistogram | None) -> list[str]:
    """The stats panel (F2): kernel's counters, then tick-latency percentiles.

    With `histogram` None (the headless mode, whose output must not depend on real durations,
    or a runtime without instruments) the latency rows say so instead.
    """
    lines = [
        f"ticks          {stats.ticks:>8}",
        f"tasks run      {stats.tasks_executed:>8}",
        f"tasks failed   {stats.tasks_failed:>8}",
        f"timers live    {stats.active_timers:>8}",
        f"timers fired   {stats.timers_fired:>8}",
        f"events         {stats.events_dispatched:>8}",
        f"thread jobs    {stats.thread_jobs_done:>8}",
        f"commands       {stats.commands_processed:>8}",
        f"stalls         {stats.stalls:>8}",
        "",
        "tick latency",
    ]
    if histogram is None:
        lines.append("  (not measured here)")
        return lines
    lines += [f"  p{p:<2}       {_ms(histogram.percentile(p)):>11}" for p in PERCENTILES]
    lines.append(f"  max       {_ms(histogram.max()):>11}")
    lines.append(f"  ticks seen  {histogram.count():>9}")
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def format_shutdown_report(report: ShutdownReport) -> str:
    """The `kernel.ShutdownReport` as the few lines printed when the editor exits."""
    return "\n".join(
        [
            f"kernel stopped ({report.state.value}) after {report.ticks} ticks:",
            f"  drained: {report.tasks_drained} tasks, {report.events_drained} events",
            f"  abandoned: {report.tasks_abandoned} tasks, {report.events_abandoned} events",
            f"  timers cancelled: {report.timers_cancelled}",
            f"  thread jobs cancelled: {report.thread_jobs_cancelled},"
            f" abandoned: {report.thread_jobs_abandoned}",
        ]
    )
