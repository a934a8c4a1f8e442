"""The benchmark suite: ``--quick`` runs every workload and prints every row.

Smoke tests only: they check that rows appear with positive numbers, never what the numbers say
(timings on a shared machine would make such assertions flaky).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Final

import pytest

from kernel.bench.__main__ import WORKLOADS, main
from kernel.bench.runner import Row, format_table

if TYPE_CHECKING:
    from pathlib import Path

TIMEOUT: Final = 120.0
"""Seconds a quick run may take before the test calls it hung (it takes a few)."""
METADATA_KEYS: Final = {"date", "python", "platform", "cpu_count", "quick", "wall_seconds"}


def _check_report(stdout: str, document: dict[str, object], workloads: list[str]) -> None:
    """Every selected workload has a row with positive numbers, and the table prints each row."""
    meta = document["metadata"]
    assert isinstance(meta, dict)
    assert set(meta) >= METADATA_KEYS
    assert meta["quick"] is True
    rows = document["rows"]
    assert isinstance(rows, list)
    assert sorted({row["id"].split()[0] for row in rows}) == sorted(workloads)
    for row in rows:
        assert row["kernel"] > 0, row
        assert row["anchor"] > 0, row
        assert row["ratio"] == pytest.approx(row["kernel"] / row["anchor"]), row
        assert row["unit"], row
        assert row["ok"] in (True, False, None), row
        assert f"| {row['id']} {row['workload']} |" in stdout, row["id"]
    assert stdout.count("\n| P") == len(rows)


def test_bench_quick_subprocess_prints_every_row(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "kernel.bench", "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "round 1/1" in result.stderr  # the progress lines
    _check_report(result.stdout, json.loads(out.read_text(encoding="utf-8")), list(WORKLOADS))


def test_bench_main_quick_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert main(["--quick", "--json", str(out)]) == 0
    _check_report(
        capsys.readouterr().out, json.loads(out.read_text(encoding="utf-8")), list(WORKLOADS)
    )


def test_bench_only_runs_the_chosen_workloads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--only", "p9, P6"]) == 0
    stdout = capsys.readouterr().out
    assert "| P6 " in stdout
    assert "| P9 " in stdout
    assert "| P1 " not in stdout


@pytest.mark.parametrize("only", ["P99", "", "P1,X"], ids=["unknown", "empty", "one-bad"])
def test_bench_only_rejects_unknown_ids(only: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", only])
    assert exit_info.value.code == 2
    assert "unknown workload" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kernel", "anchor", "goal", "ok", "cells"),
    [
        (250.0, 500.0, 0.5, "yes", "| 250 ns | 500 ns | 0.500 | <= 0.5 | yes |"),
        (1234.5, 12.5, 20.0, "NO", "| 1,234 ns | 12.5 ns | 98.8 | <= 20 | NO |"),
        (0.0012, 2.0, None, "-", "| 0.0012 ns | 2.0 ns | 0.000600 | - | - |"),
    ],
    ids=["met", "missed", "informational"],
)
def test_format_table_rows(
    kernel: float, anchor: float, goal: float | None, ok: str, cells: str
) -> None:
    row = Row(id="P0", workload="w [ns]", unit="ns", kernel=kernel, anchor=anchor, goal=goal)
    lines = format_table([row]).splitlines()
    assert lines[0] == "| workload | kernel | anchor | ratio | goal | ok |"
    assert lines[2] == f"| P0 w [ns] {cells}"
    assert lines[2].endswith(f"| {ok} |")


def test_bench_plot_quick_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "plot.png"
    assert main(["--quick", "--plot", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    stdout = capsys.readouterr().out
    for side in ("kernel", "asyncio", "heapq"):
        assert f"| {side} | fire |" in stdout
