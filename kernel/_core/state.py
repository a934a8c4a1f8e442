"""The runtime's lifecycle: `RuntimeState` and its transition table (docs/architecture.md)."""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["TRANSITIONS", "RuntimeState"]


class RuntimeState(enum.Enum):
    """Where a `Runtime` is in its life: BOOTING → RUNNING → STOPPING, or → EMERGENCY from anywhere.

    There is no way back from STOPPING or EMERGENCY.
    """

    BOOTING = "Booting"
    RUNNING = "Running"
    STOPPING = "Stopping"
    EMERGENCY = "Emergency"

    @property
    def is_running(self) -> bool:
        """True only in RUNNING: timers fire, events dispatch and tasks run."""
        return self is RuntimeState.RUNNING

    @property
    def is_terminal(self) -> bool:
        """True in STOPPING and EMERGENCY: the runtime is shutting down and accepts no new work."""
        return self is RuntimeState.STOPPING or self is RuntimeState.EMERGENCY

    @property
    def can_accept_work(self) -> bool:
        """True only in RUNNING: the only state in which tasks are accepted."""
        return self is RuntimeState.RUNNING

    def __str__(self) -> str:
        return self.value


TRANSITIONS: Final[Mapping[RuntimeState, frozenset[RuntimeState]]] = MappingProxyType(
    {
        RuntimeState.BOOTING: frozenset({RuntimeState.RUNNING, RuntimeState.EMERGENCY}),
        RuntimeState.RUNNING: frozenset({RuntimeState.STOPPING, RuntimeState.EMERGENCY}),
        RuntimeState.STOPPING: frozenset({RuntimeState.EMERGENCY}),
        RuntimeState.EMERGENCY: frozenset(),
    }
)
"""The allowed state changes; `Runtime` applies every change through this table."""
