"""kernel's pytest plugin (SPEC §15): ready fixtures for tests of code that runs on kernel.

pytest loads it through the ``pytest11`` entry point named ``kernel`` as soon as kernel is
installed; nothing needs to be listed in a conftest. It provides:

- ``manual_clock``: a `ManualClock` at 0.0;
- ``kernel_errors``: an `ErrorCollector`; at teardown the test fails (a teardown error) if it
  still holds reports the test did not `take()`;
- ``kernel_runtime``: a booted `Runtime` on ``manual_clock`` that reports to ``kernel_errors``;
  at teardown it is shut down and its terminal tick drains what is queued, before
  ``kernel_errors`` checks for reports, so an error raised by the drain fails the test too;
- the marker ``@pytest.mark.kernel_config(**fields)``: `RuntimeConfig` fields for
  ``kernel_runtime``. Markers on a class or module apply too; the closest one wins per field.

The fixtures are function-scoped: every test gets its own clock, collector and runtime. See
docs/testing.md.

PYTEST_DONT_REWRITE: the plugin has no asserts, and a suite that imported it before pytest
registers it (``-p kernel.testing.plugin``) would otherwise get a rewrite warning.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Final

import pytest

from kernel import Runtime, RuntimeConfig
from kernel.testing import ErrorCollector, ManualClock

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MARKER",
    "kernel_errors",
    "kernel_runtime",
    "manual_clock",
    "pytest_configure",
]

MARKER: Final = "kernel_config"
"""The marker's name: ``@pytest.mark.kernel_config(batch_size=4)``."""

_MARKER_HELP: Final = (
    f"{MARKER}(**fields): RuntimeConfig fields for the kernel_runtime fixture "
    "(kernel's pytest plugin)"
)
_CONFIG_FIELDS: Final = frozenset(field.name for field in dataclasses.fields(RuntimeConfig))
"""The keyword arguments the marker accepts."""


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``kernel_config`` marker, so ``--strict-markers`` accepts it."""
    config.addinivalue_line("markers", _MARKER_HELP)


@pytest.fixture
def manual_clock() -> ManualClock:
    """A `ManualClock` at 0.0; ``kernel_runtime`` runs on this same clock."""
    return ManualClock()


@pytest.fixture
def kernel_errors() -> Iterator[ErrorCollector]:
    """An `ErrorCollector`; the test fails at teardown if reports remain that it did not take().

    A test that expects an error takes it with ``kernel_errors.take()`` and asserts on it.
    """
    collector = ErrorCollector()
    yield collector
    if collector.reports:
        lines = "\n".join(
            f"  {report.phase} {report.callback} raised {report.exception!r} (tick {report.tick})"
            for report in collector.reports
        )
        count = len(collector.reports)
        pytest.fail(
            f"kernel_errors holds {count} error report(s) the test did not take():\n{lines}",
            pytrace=False,
        )


@pytest.fixture
def kernel_runtime(
    request: pytest.FixtureRequest, manual_clock: ManualClock, kernel_errors: ErrorCollector
) -> Iterator[Runtime]:
    """A booted `Runtime` on ``manual_clock`` reporting to ``kernel_errors``.

    Its config comes from the ``kernel_config`` markers (`RuntimeConfig` defaults otherwise). At
    teardown it is shut down (a no-op if the test already stopped it) and ticked once more: that
    terminal tick drains what is queued and records the `ShutdownReport`. Errors from the drain
    reach ``kernel_errors``, whose own teardown runs after this one.

    Raises:
        Failed: a ``kernel_config`` marker has positional arguments, an unknown field, or a
            value `RuntimeConfig` rejects (the test errors at setup, naming the field).
    """
    runtime = Runtime(_marker_config(request.node), clock=manual_clock, error_handler=kernel_errors)
    runtime.boot()
    yield runtime
    runtime.shutdown()
    # After shutdown() the state is terminal, so this tick is the terminal one (or, if the test
    # already ran it, a no-op): it drains STOPPING's queues and returns False.
    runtime.tick()


def _marker_config(node: pytest.Item | pytest.Collector) -> RuntimeConfig:
    """The `RuntimeConfig` that the ``kernel_config`` markers on `node` and its parents ask for.

    Markers further out (module, class) apply first; the closest marker wins per field.

    Raises:
        Failed: positional arguments, an unknown field, or a value `RuntimeConfig` rejects.
    """
    fields: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.{MARKER} takes RuntimeConfig fields as keywords, "
                f"got positional arguments {marker.args!r}",
                pytrace=False,
            )
        fields.update(marker.kwargs)
    unknown = sorted(set(fields) - _CONFIG_FIELDS)
    if unknown:
        pytest.fail(
            f"@pytest.mark.{MARKER}: unknown RuntimeConfig field(s) {', '.join(unknown)}; "
            f"the fields are {', '.join(sorted(_CONFIG_FIELDS))}",
            pytrace=False,
        )
    try:
        return RuntimeConfig(**fields)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"@pytest.mark.{MARKER}: {exc}", pytrace=False)
