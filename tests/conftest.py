"""Shared fixtures: a manual clock, a booted runtime on it, and an error collector that fails the
test if it is left holding reports nobody expected."""

from __future__ import annotations

import gc
import os
import socket
from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings

import kernel.testing.plugin
from kernel import Runtime, RuntimeConfig
from kernel.testing import ErrorCollector, ManualClock

from .liveness import STRESS

# Hypothesis profiles (docs/testing.md): "default" keeps the whole suite under a minute under
# coverage on a 2-core machine (20 examples, state machines of 25 steps); "ci"
# (HYPOTHESIS_PROFILE=ci, set by .ci/run) searches deeper: 200 examples of Hypothesis's 50 steps.
settings.register_profile(
    "default", max_examples=20, stateful_step_count=25, deadline=None, derandomize=True
)
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config: pytest.Config) -> None:
    """Use kernel's pytest plugin, registered here rather than through its entry point.

    pyproject.toml's ``-p no:kernel`` blocks the ``pytest11`` entry point, which would import
    kernel before pytest-cov starts and leave every module-level line unmeasured. Registered
    from this conftest, the same module is imported while coverage runs.
    """
    if not config.pluginmanager.has_plugin("kernel"):
        config.pluginmanager.register(kernel.testing.plugin, "kernel-suite")
    config.addinivalue_line(
        "markers",
        "stress: a heavy variant that runs only under KERNEL_STRESS=1 (.ci/run's second pass);"
        " a cheaper test covers the same code in the default run",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the `stress`-marked tests unless ``KERNEL_STRESS=1`` (tests/liveness.py)."""
    if STRESS:
        return
    skip = pytest.mark.skip(reason="a heavy variant: runs under KERNEL_STRESS=1 (.ci/run)")
    for item in items:
        if item.get_closest_marker("stress") is not None:
            item.add_marker(skip)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection left alive, so that garbage collections skip it (`_freeze`)."""
    _freeze()


@pytest.hookimpl(trylast=True)  # after the module's fixtures are torn down
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After a module's last test, freeze what outlived it too (`_freeze`)."""
    if nextitem is None or nextitem.path != item.path:
        _freeze()


def _freeze() -> None:
    """Collect, then move every surviving object out of the garbage collector's sight.

    Modules, test items, Hypothesis's strategies and caches live until the end of the session;
    frozen, a full collection (``gc.collect()`` in the leak tests and before every benchmark
    sample, and Python's own) walks only the objects made since. Under coverage this takes more
    than a tenth off the suite. Tests are unaffected: what a test creates is collected as before,
    and what was alive when frozen stays alive (a frozen cycle that dies later is not freed).
    """
    gc.collect()
    gc.freeze()


MakeRuntime = Callable[..., Runtime]
"""``make_runtime(config=None, *, boot=True) -> Runtime`` (the `make_runtime` fixture)."""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def errors() -> Iterator[ErrorCollector]:
    """Reports sent to the runtime's error handler; tests `take()` the ones they expect."""
    collector = ErrorCollector()
    yield collector
    assert collector.reports == [], f"unexpected error reports: {collector.reports}"


@pytest.fixture
def make_runtime(clock: ManualClock, errors: ErrorCollector) -> MakeRuntime:
    """Build runtimes on the test's clock that report to the test's collector."""

    def make(config: RuntimeConfig | None = None, *, boot: bool = True) -> Runtime:
        runtime = Runtime(config, clock=clock, error_handler=errors)
        if boot:
            runtime.boot()
        return runtime

    return make


@pytest.fixture
def rt(make_runtime: MakeRuntime) -> Runtime:
    """A booted runtime with the default config on the manual clock."""
    return make_runtime()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected socketpair, closed after the test (real fds for the I/O tests)."""
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()
