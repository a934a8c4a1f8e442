"""`Watchdog`: a thread that reports a callback still running past a threshold, while it runs.

The loop writes a heartbeat (`Instruments.current`: a marker of the running callback, None
between callbacks). The watchdog samples it; a marker unchanged for `threshold` seconds is a
stall, reported once with the loop thread's current stack (``sys._current_frames()``). It never
wakes while the loop is idle: when it finds no callback running it sleeps without a timeout,
and the next callback wakes it (docs/observability.md).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import traceback
from typing import TYPE_CHECKING, Final

from kernel._core.clock import perf_counter
from kernel._core.instruments import describe_marker

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.instruments import Instruments

__all__ = ["SAMPLES_PER_THRESHOLD", "StallReport", "Watchdog"]

logger: Final = logging.getLogger("kernel")

SAMPLES_PER_THRESHOLD: Final = 4
"""Samples per threshold while callbacks run: a stall is seen within 1.25 thresholds of its
start, at four wake-ups per threshold (and none while the loop is idle). The thread goes to
sleep only after a sample found no callback running twice in a row, so a busy loop of short
callbacks wakes it at most once per sample interval."""
JOIN_TIMEOUT: Final = 5.0
"""Seconds `stop()` waits for the thread: it wakes at once, unless an ``on_stall`` hook hangs."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class StallReport:
    """A callback that had run longer than ``stall_threshold`` when the watchdog looked."""

    phase: str
    """The callback's phase, as in `ErrorReport.phase` (``"task"``, ``"timer"``, ``"event"``,
    ``"io"``, ``"idle"``, ``"thread"``)."""
    callback: str
    """The task or timer name if it has one, else the callable's qualified name."""
    tick: int
    """``stats().ticks`` when the stall was seen."""
    seconds: float
    """How long the callback had run when seen: at least the threshold, measured from when the
    watchdog first saw it running (never more than the truth)."""
    stack: str
    """The loop thread's stack at that moment, innermost call last (`traceback.format_stack`)."""

    def __str__(self) -> str:
        return (
            f"stall: {self.phase} {self.callback} has run for {self.seconds:.3f} s"
            f" (tick {self.tick}); the loop thread's stack:\n{self.stack}"
        )


class Watchdog:
    """The stall watchdog thread of one runtime (created on first need, stopped at the stop).

    Args:
        instruments: holds the heartbeat and the ``on_stall`` hooks.
        threshold: seconds a callback may run before it is reported.
        current_tick: returns ``stats().ticks`` (read on the watchdog thread: a plain int).

    Thread-safety: `wake` is called on the loop thread, `stop` on the loop thread; everything
    else runs on the watchdog thread.
    """

    def __init__(
        self, instruments: Instruments, threshold: float, current_tick: Callable[[], int]
    ) -> None:
        self._instruments = instruments
        self._threshold = threshold
        self._current_tick = current_tick
        self._event = threading.Event()
        self._stopped = False
        self._loop_thread = threading.get_ident()
        self._thread: threading.Thread | None = None
        self.stalls = 0
        """Stalls reported (cumulative)."""

    def wake(self) -> None:
        """A callback starts on this thread (the loop's): start the thread or wake it."""
        if self._stopped:
            return
        self._loop_thread = threading.get_ident()
        self._instruments.sleeping = False
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="kernel-stall-watchdog", daemon=True
            )
            self._thread.start()
        else:
            self._event.set()

    def stop(self) -> None:
        """Stop and join the thread (idempotent); the heartbeat no longer wakes anything."""
        self._stopped = True
        self._instruments.sleeping = False
        thread = self._thread
        if thread is not None:
            self._event.set()
            thread.join(JOIN_TIMEOUT)

    def _run(self) -> None:
        instruments = self._instruments
        event = self._event
        interval = self._threshold / SAMPLES_PER_THRESHOLD
        seen: object = None
        first = 0.0
        reported: object = None
        active = True  # a callback ran since the last sample (or we were just woken for one)
        while not self._stopped:
            marker = instruments.current
            if marker is None:
                seen = None
                if active:
                    # Between callbacks of a busy loop: sample again after an interval rather
                    # than sleep at once, which would make every short callback wake us.
                    active = False
                    event.wait(interval)
                    event.clear()
                    continue
                instruments.sleeping = True
                # Re-read after publishing `sleeping`: a callback that started in between saw
                # sleeping False and did not wake us, but its marker is visible now.
                if instruments.current is None and not self._stopped:
                    event.wait()
                event.clear()
                instruments.sleeping = False
                active = True
                continue
            active = True
            now = perf_counter()
            if marker is not seen:
                seen, first = marker, now
            elif marker is not reported and now - first >= self._threshold:
                reported = marker
                self._report(marker, now - first)
            event.wait(interval)
            event.clear()

    def _report(self, marker: object, seconds: float) -> None:
        frame = sys._current_frames().get(self._loop_thread)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
        phase, callback = describe_marker(marker)
        report = StallReport(
            phase=phase, callback=callback, tick=self._current_tick(), seconds=seconds, stack=stack
        )
        self.stalls += 1
        logger.warning("%s", report)
        self._instruments.notify_stall(report)
