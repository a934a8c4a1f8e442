"""`TickReport` and `TickRecorder`: what one tick did, phase by phase, for ``after_tick`` hooks.

The runtime calls its phases through a `PhaseTable`. While some instrument has ``after_tick``,
the table holds the recorder's timed versions of the same functions, which note each phase's
count and duration; otherwise the plain functions, which cost nothing extra (SPEC §14).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple, final

from kernel._core.clock import perf_counter

if TYPE_CHECKING:
    from kernel._core.state import RuntimeState
    from kernel._core.stats import ShutdownReport

__all__ = ["PHASE_NAMES", "PhaseSeconds", "PhaseTable", "TickRecorder", "TickReport"]

PHASE_NAMES: Final = ("commands", "io", "timers", "events", "tasks", "async", "stop")
"""The keys of `TickReport.phase_seconds`, in tick order (``"stop"``: the terminal tick's drain
or abandonment)."""


class TickReport(NamedTuple):
    """What one tick did and how long it took (`Runtime.run_ticks`, the ``after_tick`` hook).

    Immutable. A named tuple rather than a frozen dataclass: one is built per tick while an
    ``after_tick`` hook is installed, and a tuple costs a fraction of a frozen dataclass's
    ``__init__`` (0.3 µs against 4 µs here), which matters against an idle tick's 0.2 µs.
    """

    tick: int
    """``stats().ticks`` after this tick (1 for the first)."""
    state: RuntimeState
    """The state when the tick ended."""
    commands: int
    """Commands taken from the channel (thread completions are not commands)."""
    io_callbacks: int
    """Reader, writer and signal callbacks run."""
    timers_fired: int
    """Timer fires whose task was queued."""
    events_dispatched: int
    """Events dispatched from the event queue (in the terminal tick: every event drained)."""
    tasks_run: int
    """Tasks run, returned or raised (in the terminal tick: the tasks drained)."""
    async_dispatched: int
    """Events dispatched from the bus's async queue."""
    seconds: float
    """The tick's duration, from the clock module's performance counter."""
    phase_seconds: Mapping[str, float]
    """Seconds per phase that ran, keyed by `PHASE_NAMES` (read-only)."""


@dataclasses.dataclass(frozen=True, slots=True)
class PhaseTable:
    """The functions a tick calls for its phases (plain, or timed by a `TickRecorder`)."""

    commands: Callable[..., int]
    io: Callable[..., int]
    timers: Callable[..., int]
    events: Callable[..., int]
    tasks: Callable[..., int]
    async_events: Callable[..., int]
    stop: Callable[..., ShutdownReport | None]


_COMMANDS, _IO, _TIMERS, _EVENTS, _TASKS, _ASYNC, _STOP = range(len(PHASE_NAMES))
_ZEROS: Final = (0,) * len(PHASE_NAMES)
_NONES: Final[tuple[float | None, ...]] = (None,) * len(PHASE_NAMES)


class TickRecorder:
    """Times the phases of `plain` and builds one `TickReport` per tick.

    `timed` is `plain` with each function wrapped: the wrapper notes the phase's result and
    duration for the tick in progress. Not thread-safe: the loop thread owns it.
    """

    __slots__ = ("_counts", "_mark", "_ran", "_seconds", "_stopped", "timed")

    def __init__(self, plain: PhaseTable) -> None:
        self._counts = list(_ZEROS)
        self._seconds: list[float | None] = list(_NONES)
        self._stopped: ShutdownReport | None = None
        self._ran = False
        self._mark = 0.0
        functions = [getattr(plain, field.name) for field in dataclasses.fields(plain)]
        self.timed = PhaseTable(*(self._timed(i, fn) for i, fn in enumerate(functions)))

    def _timed(self, index: int, fn: Callable[..., Any]) -> Callable[..., Any]:
        counts, seconds = self._counts, self._seconds

        def timed(*args: Any) -> Any:
            # One counter read per phase: a phase runs from the end of the previous one (or the
            # tick's start); the guards between phases cost a few nanoseconds.
            self._ran = True
            try:
                result = fn(*args)
            finally:
                now = perf_counter()
                seconds[index] = now - self._mark
                self._mark = now
            if index == _STOP:
                self._stopped = result
            else:
                counts[index] = result
            return result

        return timed

    def start(self) -> float:
        """Forget the last tick's numbers; return the start time."""
        if self._ran:  # an idle tick ran no phase: nothing to forget (P14 measures it)
            self._ran = False
            self._counts[:] = _ZEROS
            self._seconds[:] = _NONES
            self._stopped = None
        self._mark = start = perf_counter()
        return start

    def finish(self, tick: int, state: RuntimeState, start: float) -> TickReport:
        """The report of the tick that began at `start` (from `start()`)."""
        seconds = perf_counter() - start
        if not self._ran:
            return tuple.__new__(TickReport, (tick, state, 0, 0, 0, 0, 0, 0, seconds, _NO_PHASES))
        counts = self._counts
        tasks, events = counts[_TASKS], counts[_EVENTS]
        stopped = self._stopped
        if stopped is not None:
            tasks, events = stopped.tasks_drained, stopped.events_drained
        phases = object.__new__(PhaseSeconds)
        phases._seconds = tuple(self._seconds)
        return tuple.__new__(
            TickReport,
            (
                tick,
                state,
                counts[_COMMANDS],
                counts[_IO],
                counts[_TIMERS],
                events,
                tasks,
                counts[_ASYNC],
                seconds,
                phases,
            ),
        )


@final
class PhaseSeconds(Mapping[str, float]):
    """`TickReport.phase_seconds`: seconds per phase that ran, keyed by `PHASE_NAMES`, in tick
    order. Read-only; built without a dict (one per watched tick)."""

    __slots__ = ("_seconds",)

    def __init__(self, seconds: Mapping[str, float]) -> None:
        self._seconds = tuple(seconds.get(name) for name in PHASE_NAMES)

    def __getitem__(self, phase: str) -> float:
        try:
            value = self._seconds[PHASE_NAMES.index(phase)]
        except ValueError:
            value = None
        if value is None:
            raise KeyError(phase)
        return value

    def __iter__(self) -> Iterator[str]:
        return (n for n, s in zip(PHASE_NAMES, self._seconds, strict=True) if s is not None)

    def __len__(self) -> int:
        return sum(s is not None for s in self._seconds)

    def __repr__(self) -> str:
        return f"PhaseSeconds({dict(self)!r})"


_NO_PHASES: Final = PhaseSeconds({})
