"""Run an operation at every stack depth near the recursion limit (issue #8 item 9).

A `RecursionError` can land on any call kernel makes when the app calls it deep in its own
stack. Sweeping the depth at which an operation starts, one frame at a time, makes the error
land on each of the operation's calls in turn; after each attempt a test checks that the state
is whole: the operation happened entirely, or not at all.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

__all__ = ["HEADROOM", "at_depth", "current_depth", "recursion_limit_above_here"]

HEADROOM: Final = 60
"""Frames above the current depth the sweeps allow: enough for every kernel call chain."""


def current_depth() -> int:
    """The number of frames on the current thread's stack."""
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def at_depth(frames: int, fn: Callable[[], object]) -> bool:
    """Call `fn` `frames` frames deeper; True if it returned, False on a RecursionError
    (from `fn`, or from the descent itself when `frames` alone passes the limit)."""
    try:
        return _descend(frames, fn)
    except RecursionError:
        return False


def _descend(frames: int, fn: Callable[[], object]) -> bool:
    if frames:
        return _descend(frames - 1, fn)
    fn()
    return True


@contextmanager
def recursion_limit_above_here(headroom: int = HEADROOM) -> Iterator[None]:
    """Set the recursion limit `headroom` frames above the caller, for the block."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(current_depth() + headroom)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
