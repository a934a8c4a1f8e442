"""Small events and callables several test modules share."""

from __future__ import annotations

from dataclasses import dataclass

from kernel import Event


@dataclass
class Ping(Event):
    """A NORMAL-priority event carrying a number."""

    n: int = 0


@dataclass
class Urgent(Event):
    """An event of priority 10 (dispatched before NORMAL ones)."""

    priority: int = 10


def boom() -> None:
    """A callback that fails with ``ValueError("boom")``."""
    raise ValueError("boom")
