"""Callbacks the urwid adapter's tests share (import after ``pytest.importorskip("urwid")``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import urwid

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["exit_after", "exit_loop"]


def exit_loop() -> None:
    """A urwid callback that ends `run()` normally."""
    raise urwid.ExitMainLoop


def exit_after(step: Callable[[], object]) -> Callable[[], None]:
    """A callback that runs `step` and then exits the loop."""

    def callback() -> None:
        step()
        raise urwid.ExitMainLoop

    return callback
