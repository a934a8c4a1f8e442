"""Liveness guards for the reliability suite: a scenario that could hang fails one test instead.

`bounded()` arms a real-time interval timer on the main thread; when it expires, its signal
handler raises `Hung` (a `BaseException`, so no ``except Exception`` in a callback or in kernel
can swallow it) wherever the scenario is looping, and the guard turns it into a test failure.
`join_or_fail()` does the same for a scenario running in a thread: it joins with a timeout.
Both measure real time only to bound a test; no test asserts on timing.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from types import FrameType

__all__ = ["LIVENESS_TIMEOUT", "STRESS", "Hung", "bounded", "join_or_fail", "sampled", "scaled"]

LIVENESS_TIMEOUT: Final = 5.0
"""Real seconds a single scenario may take before it counts as hung: each one needs
milliseconds, so this only ever trips on a loop that never ends, even on a loaded machine."""

STRESS: Final = os.environ.get("KERNEL_STRESS", "") not in ("", "0")
"""Set ``KERNEL_STRESS=1`` (as ``.ci/run`` does) for the full-size load, fault and clock runs;
the default sizes keep the reliability suite within a few seconds."""


def scaled(default: int, stress: int) -> int:
    """`stress` under ``KERNEL_STRESS=1``, else `default`."""
    return stress if STRESS else default


def sampled(cases: Sequence[Any], keep: Callable[..., bool]) -> Sequence[Any]:
    """Every case under ``KERNEL_STRESS=1``; by default those whose parameters `keep` accepts.

    The matrices (faults, re-entrancy) run whole in ``.ci/run``; the README's test command runs a
    sample that still reaches every row and every column, to stay within its time budget.
    """
    return cases if STRESS else [case for case in cases if keep(*case.values)]  # pytest.param


class Hung(BaseException):
    """Raised into a scenario that outlived its liveness timeout."""


def _raise_hung(signum: int, frame: FrameType | None) -> None:
    raise Hung


@contextmanager
def bounded(seconds: float = LIVENESS_TIMEOUT) -> Iterator[None]:
    """Fail the test if the block runs longer than `seconds` of real time.

    Must be used on the main thread (signals are delivered there). Nesting is not supported.
    """
    assert threading.current_thread() is threading.main_thread(), "bounded() needs the main thread"
    previous = signal.signal(signal.SIGALRM, _raise_hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except Hung:
        pytest.fail(f"did not finish within {seconds} s: a hang (liveness guard)")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def join_or_fail(thread: threading.Thread, timeout: float = LIVENESS_TIMEOUT) -> None:
    """Join `thread`, failing the test if it is still alive after `timeout` seconds."""
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"thread {thread.name} did not finish within {timeout} s (liveness guard)")
