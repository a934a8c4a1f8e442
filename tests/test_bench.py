"""The benchmark suite: ``--quick`` runs every workload and prints every row.

Smoke tests only: they check that rows appear with positive numbers, never what the numbers say
(timings on a shared machine would make such assertions flaky).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Final

import pytest

from kernel.bench import timers
from kernel.bench.__main__ import WORKLOADS, main
from kernel.bench.compare import DEFAULT_NOISE, Change, Entry, compare, format_comparison, load
from kernel.bench.runner import (
    Row,
    Sample,
    Settings,
    alternate,
    format_table,
    join_loop_thread,
    loop_thread,
    relative_spread,
    write_json,
)

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
        assert len(row.get("kernel_rounds", ())) == len(row.get("anchor_rounds", ())), row
        assert f"| {row['id']} {row['workload']} |" in stdout, row["id"]
    assert stdout.count("\n| P") == len(rows)


def test_bench_quick_subprocess_prints_its_rows(tmp_path: Path) -> None:
    # `python -m kernel.bench` as a process, on two cheap workloads: the in-process run below
    # checks the other workloads' rows (under coverage, which a subprocess would not give).
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "kernel.bench", "--quick", "--only", "P1,P6", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "round 1/1" in result.stderr  # the progress lines
    _check_report(result.stdout, json.loads(out.read_text(encoding="utf-8")), ["P1", "P6"])


def run_with_stacks_on_timeout(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `command` (a Python started with ``-X faulthandler``); if it outlives `TIMEOUT`, fail
    with every thread's stack, which SIGABRT makes faulthandler print (a hang is then a finding
    with its place, not a bare timeout)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        stdout, stderr = process.communicate(timeout=TIMEOUT)
        pytest.fail(f"{command} hung for {TIMEOUT} s; its threads:\n{stderr[-8000:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def test_run_with_stacks_on_timeout_shows_where_a_hung_process_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "TIMEOUT", 0.5)
    hang = "import threading; threading.Event().wait()"
    with pytest.raises(pytest.fail.Exception, match=r"(?s)hung for 0\.5 s.*in <module>"):
        run_with_stacks_on_timeout([sys.executable, "-X", "faulthandler", "-c", hang])


def test_join_loop_thread_returns_once_the_loop_thread_ended() -> None:
    thread = loop_thread(lambda: None, "bench-test-quick")
    assert thread.daemon  # a hung loop never keeps the process from exiting
    thread.start()
    join_loop_thread(thread)
    assert not thread.is_alive()


def test_join_loop_thread_raises_naming_a_loop_that_did_not_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    thread = loop_thread(release.wait, "bench-test-hung")
    thread.start()
    monkeypatch.setattr("kernel.bench.runner.JOIN_TIMEOUT", 0.05)
    try:
        with pytest.raises(
            RuntimeError, match=r"^loop thread 'bench-test-hung' did not end within"
        ):
            join_loop_thread(thread)
    finally:
        release.set()
        thread.join(TIMEOUT)
    assert not thread.is_alive()


@pytest.mark.stress
def test_bench_quick_subprocess_runs_every_workload(tmp_path: Path) -> None:
    # The whole `python -m kernel.bench --quick`, P15's five demo editors included (about 15 s).
    # The default run checks the same rows in parts: in process below, and P15 by its episodes.
    out = tmp_path / "bench.json"
    result = run_with_stacks_on_timeout(
        [sys.executable, "-X", "faulthandler", "-m", "kernel.bench", "--quick", "--json", str(out)]
    )
    assert result.returncode == 0, result.stderr
    _check_report(result.stdout, json.loads(out.read_text(encoding="utf-8")), list(WORKLOADS))


OWN_TESTS: Final = ("P4", "P6", "P9", "P15")
"""Workloads whose rows other tests check, `_check_report` included: P4's net and raw rows, P6
and P9 through ``--compare``, and P15 (its demo editors wait in real time for seconds) from
stand-in episodes, with its real episodes one at a time (`test_p15_*`)."""
IN_PROCESS: Final = [workload for workload in WORKLOADS if workload not in OWN_TESTS]


def test_bench_main_quick_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert main(["--quick", "--only", ",".join(IN_PROCESS), "--json", str(out)]) == 0
    _check_report(capsys.readouterr().out, json.loads(out.read_text(encoding="utf-8")), IN_PROCESS)


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


def test_bench_plot_quick_writes_a_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    from kernel.bench import plot

    # Each sample handles its load once instead of repeating it up to 20,000 timers: the same
    # code, a third of the time under coverage (asyncio's real-time waits are the rest).
    monkeypatch.setattr(plot, "SAMPLE_TIMERS", 1)
    out = tmp_path / "plot.png"
    assert main(["--quick", "--plot", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    stdout = capsys.readouterr().out
    for side in ("kernel", "asyncio", "heapq"):
        assert f"| {side} | fire |" in stdout


# --- rounds and spread -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "spread"),
    [
        ([], None),
        ([2.0], None),
        ([1.0, 3.0, 2.0], 0.5),
        ([2.0, 6.0], 0.5),
        ([4.0, 4.0], 0.0),
        ([-1.0, -3.0, -2.0], 0.5),
        ([-1.0, 1.0], None),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1000.0], 4.5 / 5.5),
    ],
    ids=["empty", "one", "three", "two", "flat", "negative", "zero-median", "outlier"],
)
def test_relative_spread_is_iqr_over_median(values: list[float], spread: float | None) -> None:
    assert relative_spread(values) == (None if spread is None else pytest.approx(spread))


def test_row_spread_uses_paired_round_ratios() -> None:
    row = Row(
        id="P0",
        workload="w",
        unit="ns",
        kernel=2.0,
        anchor=4.0,
        goal=None,
        kernel_rounds=(1.0, 2.0, 3.0),
        anchor_rounds=(4.0, 4.0, 4.0),
    )
    assert row.spread == pytest.approx(0.5)  # ratios 0.25, 0.5, 0.75: IQR 0.25
    document = row.as_dict()
    assert document["spread"] == row.spread
    assert document["kernel_rounds"] == (1.0, 2.0, 3.0)


def test_row_without_rounds_has_no_spread() -> None:
    assert Row(id="P0", workload="w", unit="ns", kernel=1, anchor=2, goal=None).spread is None


def test_row_rejects_unpaired_rounds() -> None:
    with pytest.raises(ValueError, match=r"^Row 'P0': kernel_rounds has 2 values but anchor_"):
        Row(
            id="P0",
            workload="w",
            unit="ns",
            kernel=1,
            anchor=2,
            goal=None,
            kernel_rounds=(1.0, 2.0),
            anchor_rounds=(1.0,),
        )


def test_alternate_runs_sides_in_turn_and_keeps_every_round() -> None:
    calls: list[str] = []
    lines: list[str] = []

    def sample(name: str, values: list[float]) -> Sample:
        def run() -> dict[str, float]:
            calls.append(name)
            return {"v": values[len([c for c in calls if c == name]) - 1]}

        return run

    settings = Settings(quick=False, progress=lines.append)
    a, b = alternate(
        [sample("a", [9.0, 1.0, 5.0, 3.0]), sample("b", [0.0, 2.0, 4.0, 8.0])],
        settings,
        "T",
        rounds=3,
    )
    assert calls == ["a", "b"] * 4  # one warm-up, then three alternating rounds
    assert a.rounds == {"v": (1.0, 5.0, 3.0)}
    assert b.rounds == {"v": (2.0, 4.0, 8.0)}
    assert (a["v"], b["v"], dict(a), len(b)) == (3.0, 4.0, {"v": 3.0}, 1)
    assert lines == ["T: round 1/3", "T: round 2/3", "T: round 3/3"]


# --- P4 net of the harness, P7 rounds -------------------------------------------------------------


def test_timer_load_fires_the_survivors_in_deadline_order() -> None:
    load = timers.load(500)
    assert sorted([*load.cancel, *load.fire]) == list(range(500))
    assert len(load.fire) == load.live == 250
    deadlines = [load.delays[index] for index in load.fire]
    assert deadlines == sorted(deadlines)


def test_kernel_sample_times_the_harness_only_when_asked() -> None:
    load = timers.load(200)
    assert set(timers.kernel_sample(load)) == {"schedule", "cancel", "fire"}
    with_harness = timers.kernel_sample(load, 2, harness=True)
    assert set(with_harness) == {
        "schedule",
        "cancel",
        "fire",
        "schedule harness",
        "cancel harness",
        "fire harness",
    }
    assert all(value > 0 for value in with_harness.values())


def test_p4_rows_are_net_of_the_harness_beside_the_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p4.json"
    assert main(["--quick", "--only", "P4", "--json", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    _check_report(capsys.readouterr().out, document, ["P4"])
    rows = {row["id"]: row for row in document["rows"]}
    assert list(rows) == [f"P4 {op}{kind}" for op in timers.OPERATIONS for kind in ("", " raw")]
    for op in timers.OPERATIONS:
        net, raw = rows[f"P4 {op}"], rows[f"P4 {op} raw"]
        assert "net of the harness" in net["workload"]
        assert (net["goal"], raw["goal"]) == (1.5, None)
        for side in ("kernel", "anchor"):
            # net = raw - harness, round by round; the harness loop takes time, so net < raw
            assert len(net[f"{side}_rounds"]) == len(raw[f"{side}_rounds"]) == 1
            assert net[side] == net[f"{side}_rounds"][0] < raw[side] == raw[f"{side}_rounds"][0]


def test_p7_keeps_each_rounds_median_and_p99(capsys: pytest.CaptureFixture[str]) -> None:
    rows = WORKLOADS["P7"](Settings(quick=True, progress=lambda _: None))
    assert [row.id for row in rows] == ["P7 median", "P7 p99"]
    for row in rows:
        assert len(row.kernel_rounds) == len(row.anchor_rounds) == 1
        assert row.kernel == pytest.approx(row.kernel_rounds[0])  # one round: pooled = round
    assert capsys.readouterr().out == ""


# --- --compare ----------------------------------------------------------------------------------


def _entry(
    id: str = "P0",
    kernel: float = 1.0,
    anchor: float = 2.0,
    spread: float | None = None,
    workload: str = "w",
) -> Entry:
    return Entry(id=id, workload=workload, unit="ns", kernel=kernel, anchor=anchor, spread=spread)


@pytest.mark.parametrize(
    ("base", "now", "verdict", "change", "noise"),
    [
        (_entry(spread=0.05), _entry(kernel=1.1, spread=0.04), "WORSE", 0.10, 0.05),
        (_entry(spread=0.05), _entry(kernel=1.1, spread=0.2), "within noise", 0.10, 0.2),
        (_entry(spread=0.02), _entry(kernel=0.9, spread=0.03), "better", -0.10, 0.03),
        (_entry(), _entry(kernel=1.15), "WORSE", 0.15, DEFAULT_NOISE),
        (_entry(), _entry(kernel=1.05), "within noise", 0.05, DEFAULT_NOISE),
        (_entry(spread=0.01), _entry(kernel=1.05), "WORSE", 0.05, 0.01),
        (None, _entry(), "new", None, DEFAULT_NOISE),
        (_entry(), None, "gone", None, DEFAULT_NOISE),
        (_entry(), _entry(kernel=9, workload="v"), "workload differs", 8.0, DEFAULT_NOISE),
        (_entry(anchor=0.0), _entry(), "no ratio", None, DEFAULT_NOISE),
        (_entry(), _entry(kernel=-1.0), "no ratio", None, DEFAULT_NOISE),
    ],
    ids=[
        "worse",
        "within-wide-noise",
        "better",
        "worse-assumed-noise",
        "within-assumed-noise",
        "one-side-spread",
        "new",
        "gone",
        "workload-differs",
        "zero-anchor",
        "negative-ratio",
    ],
)
def test_change_verdict_against_the_noise(
    base: Entry | None, now: Entry | None, verdict: str, change: float | None, noise: float
) -> None:
    item = Change(id="P0", base=base, now=now)
    assert item.verdict == verdict
    assert item.change == (None if change is None else pytest.approx(change))
    assert item.noise == noise


def test_compare_pairs_by_id_and_lists_rows_that_disappeared() -> None:
    base = [_entry("P1"), _entry("P4 cancel"), _entry("P4 old"), _entry("P9")]
    now = [_entry("P4 cancel"), _entry("P4 cancel raw"), _entry("P1")]
    changes = compare(base, now)
    assert [(c.id, c.verdict) for c in changes] == [
        ("P4 cancel", "within noise"),
        ("P4 cancel raw", "new"),
        ("P1", "within noise"),
        ("P4 old", "gone"),  # P9 was not run this time: left out
    ]


def test_format_comparison_rows() -> None:
    changes = [
        Change(
            id="P2",
            base=_entry(kernel=1000.0, anchor=2000.0, spread=0.04),
            now=_entry(kernel=1200.0, anchor=2000.0, spread=0.06),
        ),
        Change(id="P3", base=None, now=_entry(kernel=0.5)),
    ]
    lines = format_comparison(changes).splitlines()
    assert lines[0].startswith("| row | ratio then | ratio now | change | noise |")
    assert lines[2] == (
        "| P2 | 0.500 | 0.600 | +20.0% | 6.0% | 1,000 ns | 1,200 ns | +20.0% | WORSE |"
    )
    assert lines[3] == "| P3 | - | 0.250 | - | 10.0% (assumed) | - | 0.5 ns | - | new |"


def test_load_reads_what_write_json_wrote(tmp_path: Path) -> None:
    rows = [
        Row(
            id="P1",
            workload="w",
            unit="ns",
            kernel=3.0,
            anchor=4.0,
            goal=0.5,
            kernel_rounds=(3.0, 2.0, 4.0),
            anchor_rounds=(4.0, 4.0, 4.0),
        ),
        Row(id="P8", workload="v", unit="s", kernel=0.1, anchor=2.0, goal=0.02),
    ]
    path = tmp_path / "base.json"
    write_json(str(path), rows, {"date": "today"})
    assert load(str(path)) == [Entry.from_row(row) for row in rows]
    assert [entry.spread for entry in load(str(path))] == [pytest.approx(0.25 / 0.75), None]


def test_load_reads_rows_saved_before_rounds_were_kept(tmp_path: Path) -> None:
    old = {"id": "P6", "workload": "w", "unit": "ns", "kernel": 120, "anchor": 24.0}
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"metadata": {}, "rows": [old]}), encoding="utf-8")
    (entry,) = load(str(path))
    assert (entry.kernel, entry.ratio, entry.spread) == (120.0, 5.0, None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", r": not JSON \("),
        ('{"rows": 3}', r": no 'rows' list; expected a file written by --json$"),
        ("[]", r": no 'rows' list"),
        ('{"rows": [3]}', r": row 0: expected an object, got 3$"),
        ('{"rows": [{"id": "P1"}]}', r": row 0: field 'workload' should be a string, got None$"),
        (
            '{"rows": [{"id": "P1", "workload": "w", "unit": "ns", "kernel": true, "anchor": 1}]}',
            r": row 0: field 'kernel' should be a number, got True$",
        ),
        (
            '{"rows": [{"id": "P1", "workload": "w", "unit": "ns", "kernel": 1, "anchor": 1,'
            ' "kernel_rounds": [1, 2], "anchor_rounds": [1]}]}',
            r": row 0: kernel_rounds and anchor_rounds must be lists of numbers of one length$",
        ),
    ],
    ids=[
        "not-json",
        "rows-not-list",
        "not-object",
        "row-not-object",
        "missing",
        "bool",
        "unpaired",
    ],
)
def test_load_rejects_other_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="^" + re.escape(str(path)) + message):
        load(str(path))


def test_bench_compare_quick_prints_each_row_beside_the_saved_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base.json"
    assert main(["--quick", "--only", "P6,P9", "--json", str(base)]) == 0
    _check_report(
        capsys.readouterr().out, json.loads(base.read_text(encoding="utf-8")), ["P6", "P9"]
    )
    assert main(["--quick", "--only", "P6,P9", "--compare", str(base)]) == 0
    stdout = capsys.readouterr().out
    table, comparison = stdout.split(f"\nCompared with {base} (ratio: lower is better):\n")
    assert table.count("\n| P") == 2
    lines = comparison.splitlines()
    assert lines[0].startswith("| row | ratio then | ratio now |")
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| P6", "| P9"]
    assert all(line.endswith(("| within noise |", "| WORSE |", "| better |")) for line in lines[2:])


def test_bench_compare_fails_before_measuring_on_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--quick", "--only", "P6", "--compare", str(tmp_path / "missing.json")])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "error: --compare: [Errno 2] No such file or directory" in captured.err
    assert "round" not in captured.err
    assert captured.out == ""


def test_bench_compare_is_refused_with_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--quick", "--plot", str(tmp_path / "p.png"), "--compare", str(tmp_path / "b.json")])
    assert exit_info.value.code == 2
    assert (
        "error: --compare compares the table's rows; --plot prints no table"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "p.png").exists()


def test_p15_skips_without_urwid(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from kernel.bench import p15_demo

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "urwid" else real(name)
    )
    assert p15_demo.measure(Settings(quick=True, progress=lambda line: None)) == []


def test_p15_builds_its_rows_from_the_episodes(monkeypatch: pytest.MonkeyPatch) -> None:
    # measure() with stand-in episodes: which episodes it runs, with what sizes, and the rows it
    # makes of their results. The real episodes are the next test's (and KERNEL_STRESS's).
    pytest.importorskip("urwid")
    from kernel.bench import p15_demo

    calls: list[tuple[object, ...]] = []

    def idle(loop: str, seconds: float, settle: float) -> dict[str, float]:
        calls.append(("idle", loop, seconds, settle))
        return {"cpu": {"kernel": 0.004, "select": 0.008}[loop], "wall": 1.0}

    def typing(
        loop: str, keys: int, settle: float, into: dict[str, list[float]], *, busy: bool = True
    ) -> dict[str, float]:
        calls.append(("typing", loop, keys, settle, busy))
        into[loop].extend([4.0, 1.0, 3.0, 2.0] if busy else [5.0])
        return {"keys": float(keys)}

    monkeypatch.setattr(p15_demo, "_idle", idle)
    monkeypatch.setattr(p15_demo, "_typing", typing)
    lines: list[str] = []
    rows = p15_demo.measure(Settings(quick=True, progress=lines.append))
    idle_s, settle, keys = p15_demo.QUICK_IDLE, p15_demo.QUICK_SETTLE, p15_demo.QUICK_KEYS
    assert calls == [
        ("idle", "kernel", idle_s, settle),
        ("idle", "select", idle_s, settle),
        ("typing", "kernel", keys, settle, True),
        ("typing", "select", keys, settle, True),
        ("typing", "kernel", keys, settle, False),
    ]
    assert lines == ["P15 demo idle CPU: round 1/1", "P15 demo key latency: round 1/1"]
    p99 = 1.0 + 0.99 * 3.0  # inclusive quantiles of 1, 2, 3, 4
    assert [(r.id, r.kernel, r.anchor, r.goal) for r in rows] == [
        ("P15 idle", 0.004, 1.0, p15_demo.CPU_GOAL),
        ("P15 idle loops", 0.004, 0.008, None),
        ("P15 key p50", 2.5, 2.5, None),
        ("P15 key p99", pytest.approx(p99), pytest.approx(p99), None),
        ("P15 key budget", pytest.approx(p99), p15_demo.BUDGET_MS, 1.0),
        ("P15 key quiet", 5.0, p15_demo.BUDGET_MS, None),  # one value: its own p99
    ]
    assert all(f"{keys}" in row.workload for row in rows[2:4])


def test_p15_episodes_drive_the_demo_in_a_pty() -> None:
    # One real episode of each kind, as small as they go: the demo editor on a pty, typed into
    # and watched idle. The whole quick P15 (five editors, about 5 s) runs under KERNEL_STRESS.
    pytest.importorskip("urwid")
    from kernel.bench import p15_demo

    latencies: dict[str, list[float]] = {"kernel": []}
    assert p15_demo._typing("kernel", 2, 0.0, latencies, busy=False) == {"keys": 2.0}
    assert len(latencies["kernel"]) == 2
    assert all(ms > 0 for ms in latencies["kernel"])
    idle = p15_demo._idle("select", 0.0, 0.0)
    assert set(idle) == {"cpu", "wall"}
    assert idle["cpu"] >= 0
    assert idle["wall"] >= 0
