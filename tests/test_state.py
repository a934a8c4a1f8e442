"""RuntimeState, its transition table, and the lifecycle methods of Runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kernel import InvalidStateError, Runtime, RuntimeState
from kernel._core.state import TRANSITIONS

if TYPE_CHECKING:
    from .conftest import MakeRuntime

S = RuntimeState


@pytest.mark.parametrize(
    ("state", "running", "terminal", "accepts"),
    [
        (S.BOOTING, False, False, False),
        (S.RUNNING, True, False, True),
        (S.STOPPING, False, True, False),
        (S.EMERGENCY, False, True, False),
    ],
    ids=lambda v: str(v),
)
def test_state_predicates(state: S, running: bool, terminal: bool, accepts: bool) -> None:
    assert (state.is_running, state.is_terminal, state.can_accept_work) == (
        running,
        terminal,
        accepts,
    )


def test_state_display_names() -> None:
    assert [str(s) for s in S] == ["Booting", "Running", "Stopping", "Emergency"]


def test_transition_table_has_no_way_back() -> None:
    assert TRANSITIONS[S.STOPPING] == {S.EMERGENCY}
    assert TRANSITIONS[S.EMERGENCY] == frozenset()
    assert all(S.BOOTING not in targets for targets in TRANSITIONS.values())


def test_new_runtime_is_booting_and_idle() -> None:
    runtime = Runtime()
    assert runtime.state is S.BOOTING
    assert runtime.is_idle()


def test_boot_moves_to_running(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(boot=False)
    runtime.boot()
    assert runtime.state is S.RUNNING


@pytest.mark.parametrize("stop", ["shutdown", "emergency_stop", "none"])
def test_boot_outside_booting_raises(make_runtime: MakeRuntime, stop: str) -> None:
    runtime = make_runtime()
    if stop != "none":
        getattr(runtime, stop)()
    before = runtime.state
    with pytest.raises(InvalidStateError, match=r"boot\(\) called when not in Booting state"):
        runtime.boot()
    assert runtime.state is before


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ([], S.BOOTING),
        (["boot"], S.STOPPING),
        (["boot", "shutdown"], S.STOPPING),
        (["boot", "emergency_stop"], S.EMERGENCY),
    ],
    ids=["booting", "running", "stopping", "emergency"],
)
def test_shutdown_only_leaves_running(
    make_runtime: MakeRuntime, setup: list[str], expected: S
) -> None:
    runtime = make_runtime(boot=False)
    for method in setup:
        getattr(runtime, method)()
    runtime.shutdown()
    assert runtime.state is expected


@pytest.mark.parametrize("setup", [[], ["boot"], ["boot", "shutdown"], ["emergency_stop"]])
def test_emergency_stop_from_any_state(make_runtime: MakeRuntime, setup: list[str]) -> None:
    runtime = make_runtime(boot=False)
    for method in setup:
        getattr(runtime, method)()
    runtime.emergency_stop()
    assert runtime.state is S.EMERGENCY


def test_transition_outside_the_table_raises(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    runtime.emergency_stop()
    with pytest.raises(InvalidStateError, match=r"^cannot go from Emergency to Running$"):
        runtime._transition(S.RUNNING)
