"""``python -m kernel``: the runnable example, on virtual time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kernel.__main__ import main, run_session
from kernel.testing import ManualClock


def test_session_saves_after_each_pause_in_typing() -> None:
    lines: list[str] = []
    clock = ManualClock()
    report = run_session(clock, lines.append)
    saves = [line for line in lines if "saved" in line]
    assert saves == ["[ 0.55s] saved 'hello'", "[ 1.30s] saved 'hello, kernel'"]
    assert lines[-1] == (
        "[ 1.40s] stopped: 21 tasks run, 13 events dispatched, 1 timer(s) cancelled at the stop"
    )
    assert report.tasks_abandoned == 0
    assert clock.now() == pytest.approx(1.4)


def test_main_virtual_prints_the_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--virtual"]) == 0
    out = capsys.readouterr().out
    assert "saved 'hello, kernel'" in out
    assert out.count("\n") == 8


def test_module_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kernel", "--virtual"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "saved 'hello'" in result.stdout
