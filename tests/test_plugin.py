"""kernel's pytest plugin (kernel.testing.plugin), run in inner pytest sessions with `pytester`."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path
from typing import Final

import pytest

import kernel.testing.plugin

from .test_docs import fenced_blocks

pytest_plugins = ["pytester"]

ROOT: Final = Path(__file__).resolve().parent.parent
PLUGIN_ARGS: Final = ("-p", "no:kernel", "-p", "kernel.testing.plugin", "-W", "error")
"""Load the plugin by module name, and block the ``kernel`` entry point in case the installed
kernel declares it, so the plugin is registered exactly once whichever kernel is installed; any
warning in the inner session is an error, as in the project's own."""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_example=source)
    return pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", *args)


# -- fixtures --------------------------------------------------------------------------------


def test_fixtures_give_a_booted_runtime_on_the_manual_clock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from kernel import Runtime, RuntimeConfig, RuntimeState
        from kernel.testing import ErrorCollector, ManualClock

        def test_fixtures(kernel_runtime, manual_clock, kernel_errors):
            assert isinstance(manual_clock, ManualClock) and manual_clock.now() == 0.0
            assert isinstance(kernel_errors, ErrorCollector) and kernel_errors.reports == []
            assert isinstance(kernel_runtime, Runtime)
            assert kernel_runtime.state is RuntimeState.RUNNING
            assert kernel_runtime.clock is manual_clock
            assert kernel_runtime.config == RuntimeConfig()
            fired = []
            kernel_runtime.schedule_delayed(2.0, lambda: fired.append(manual_clock.now()))
            kernel_runtime.advance(2.0)
            assert fired == [2.0]

        def test_each_test_gets_its_own(manual_clock, kernel_errors):
            assert manual_clock.now() == 0.0 and kernel_errors.reports == []
            manual_clock.advance(5.0)
        """,
    )
    result.assert_outcomes(passed=2)


def test_kernel_runtime_untaken_error_fails_at_teardown(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_raises(kernel_runtime):
            def autosave():
                raise OSError("disk full")
            kernel_runtime.schedule_work(autosave, name="autosave")
            kernel_runtime.run_until_idle()
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_raises*",
            "*kernel_errors holds 1 error report(s) the test did not take():",
            "*task autosave raised OSError('disk full') (tick 1)",
        ]
    )


def test_kernel_runtime_taken_error_passes(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_raises(kernel_runtime, kernel_errors):
            def autosave():
                raise OSError("disk full")
            kernel_runtime.schedule_work(autosave, name="autosave")
            kernel_runtime.run_until_idle()
            [report] = kernel_errors.take()
            assert (report.phase, report.callback) == ("task", "autosave")
            assert kernel_errors.reports == []
        """,
    )
    result.assert_outcomes(passed=1)


def test_kernel_runtime_teardown_drains_then_checks(pytester: pytest.Pytester) -> None:
    """Queued work runs in the teardown's drain; an error it raises still fails the test."""
    result = run(
        pytester,
        """
        import pytest
        from kernel import RuntimeState

        RAN = []
        RUNTIMES = []

        def fail():
            raise ValueError("in the drain")

        def test_leaves_work_queued(kernel_runtime):
            RUNTIMES.append(kernel_runtime)
            kernel_runtime.schedule_work(RAN.append, "queued")
            kernel_runtime.schedule_work(fail, name="late")
            assert RAN == []

        def test_drained(kernel_errors):
            [runtime] = RUNTIMES
            assert RAN == ["queued"]
            assert runtime.state is RuntimeState.STOPPING
            report = runtime.shutdown_report()
            assert report is not None and report.tasks_drained == 2
        """,
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaves_work_queued*",
            "*task late raised ValueError('in the drain') (tick 1)",
        ]
    )


def test_kernel_runtime_teardown_accepts_a_runtime_already_stopped(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        def test_stopped(kernel_runtime):
            kernel_runtime.schedule_delayed(1.0, kernel_runtime.shutdown)
            report = kernel_runtime.run()
            assert kernel_runtime.shutdown_report() is report

        def test_emergency(kernel_runtime):
            kernel_runtime.emergency_stop()
        """,
    )
    result.assert_outcomes(passed=2)


def test_kernel_errors_alone_fails_on_untaken_reports(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from kernel import EventBus, Event, EventResult

        class Saved(Event):
            pass

        def test_bus(kernel_errors):
            bus = EventBus(error_handler=kernel_errors)
            def broken(event):
                raise KeyError("path")
            bus.subscribe(Saved, broken)
            bus.emit(Saved())
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*event *broken raised KeyError('path') (tick 0)"])


# -- the marker ------------------------------------------------------------------------------


def test_marker_sets_config_fields(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        pytestmark = pytest.mark.kernel_config(batch_size=3, max_timers=5)

        @pytest.mark.kernel_config(batch_size=2)
        def test_closest_wins(kernel_runtime):
            assert kernel_runtime.config.batch_size == 2
            assert kernel_runtime.config.max_timers == 5
            ran = []
            for n in range(5):
                kernel_runtime.schedule_work(ran.append, n)
            kernel_runtime.tick()
            assert ran == [0, 1]

        def test_module_marker(kernel_runtime):
            assert kernel_runtime.config.batch_size == 3

        class TestClass:
            pytestmark = pytest.mark.kernel_config(timer_resolution=0.01)

            def test_class_marker(self, kernel_runtime):
                config = kernel_runtime.config
                assert (config.timer_resolution, config.batch_size) == (0.01, 3)
        """,
        "--strict-markers",
    )
    result.assert_outcomes(passed=3)


BAD_MARKERS = [
    (
        "kernel_config(batch_sise=2)",
        "*@pytest.mark.kernel_config: unknown RuntimeConfig field(s) batch_sise; the fields are "
        "batch_size, debug, drain_limit, *",
    ),
    (
        "kernel_config(batch_size=0)",
        "*@pytest.mark.kernel_config: batch_size must be * got 0*",
    ),
    (
        "kernel_config(timer_resolution='1ms')",
        "*@pytest.mark.kernel_config: timer_resolution must be a number of seconds, got '1ms'",
    ),
    (
        "kernel_config(4)",
        "*@pytest.mark.kernel_config takes RuntimeConfig fields as keywords, "
        "got positional arguments (4,)",
    ),
]


@pytest.mark.parametrize(("marker", "line"), BAD_MARKERS, ids=[m for m, _ in BAD_MARKERS])
def test_marker_bad_fields_error_at_setup(
    pytester: pytest.Pytester, marker: str, line: str
) -> None:
    result = run(
        pytester,
        f"""
        import pytest

        @pytest.mark.{marker}
        def test_configured(kernel_runtime):
            raise AssertionError("never runs")
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_configured*", line])


def test_marker_is_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "--markers")
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"@pytest.mark.{kernel.testing.plugin._MARKER_HELP}"])


# -- registration ----------------------------------------------------------------------------


def declared_entry_point() -> tuple[str, str]:
    """The pytest11 entry point that pyproject.toml declares: (name, module)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    [(name, target)] = project["entry-points"]["pytest11"].items()
    return name, target


def test_entry_point_is_declared_for_the_plugin_module() -> None:
    assert declared_entry_point() == ("kernel", "kernel.testing.plugin")


def test_entry_point_loads_the_plugin_without_any_option(pytester: pytest.Pytester) -> None:
    """A distribution declaring the pyproject's entry point activates the plugin by itself."""
    name, target = declared_entry_point()
    dist_info = pytester.mkdir("kernel_entry_point_probe-1.0.dist-info")
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kernel-entry-point-probe\nVersion: 1.0\n", encoding="utf-8"
    )
    entry_points = configparser.ConfigParser()
    entry_points["pytest11"] = {name: target}
    with (dist_info / "entry_points.txt").open("w", encoding="utf-8") as file:
        entry_points.write(file)
    pytester.syspathinsert()
    pytester.makepyfile(
        test_example="""
        import pytest

        @pytest.mark.kernel_config(batch_size=7)
        def test_plugin_active(kernel_runtime, request):
            assert kernel_runtime.config.batch_size == 7
            assert request.config.pluginmanager.has_plugin("kernel")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", "-W", "error")
    result.assert_outcomes(passed=1)


# -- the documentation -----------------------------------------------------------------------

PLUGIN_SECTION: Final = "## The pytest plugin"


def plugin_doc_examples() -> str:
    """The python blocks of docs/testing.md's plugin section, joined into one test module."""
    text = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    start = text.index(PLUGIN_SECTION)
    following = re.search(r"^## ", text[start + len(PLUGIN_SECTION) :], flags=re.MULTILINE)
    end = len(text) if following is None else start + len(PLUGIN_SECTION) + following.start()
    blocks = [b.code for b in fenced_blocks(text[start:end]) if b.language == "python"]
    assert blocks, "docs/testing.md's plugin section has no python examples"
    return "\n".join(blocks)


def test_docs_plugin_examples_pass_as_tests(pytester: pytest.Pytester) -> None:
    """docs/testing.md's plugin examples run as a real test module, and every test passes."""
    source = plugin_doc_examples()
    tests = re.findall(r"^def (test_\w+)\(", source, flags=re.MULTILINE)
    assert len(tests) >= 3
    pytester.makepyfile(test_docs_plugin=source)
    result = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "--strict-markers", "-v")
    result.assert_outcomes(passed=len(tests))
