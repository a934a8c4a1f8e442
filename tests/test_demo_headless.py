"""kernel.demo.headless and the command line: key scripts on virtual time, output compared exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("urwid")

from kernel.demo.__main__ import main, parse_args
from kernel.demo.headless import (
    BUILTIN_SCRIPT,
    HeadlessScreen,
    Step,
    parse_script,
    run_headless,
)

EXPECTED = Path(__file__).parent / "data" / "demo_headless.txt"


@pytest.mark.parametrize(
    ("script", "steps"),
    [
        ("ab", [Step(key="a"), Step(key="b")]),
        ("a\nb", [Step(key="a"), Step(key="enter"), Step(key="b")]),
        ("{ctrl s}{f2}", [Step(key="ctrl s"), Step(key="f2")]),
        ("{wait 1.5}", [Step(seconds=1.5)]),
        ("{ wait 0 }x", [Step(key="wait 0"), Step(key="x")]),
        ("{", [Step(key="{")]),
    ],
    ids=["chars", "newline", "keys", "wait", "spaced-name-is-a-key", "lone-brace"],
)
def test_parse_script(script: str, steps: list[Step]) -> None:
    assert parse_script(script) == steps


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("a{}b", r"^script has an empty key name \{\} at offset 1$"),
        ("{wait soon}", r"^script has a bad wait: \{wait soon\} \(a number of seconds >= 0"),
        ("{wait -1}", r"^script has a bad wait: \{wait -1\}"),
        ("{wait inf}", r"^script has a bad wait: \{wait inf\}"),
    ],
    ids=["empty", "not-a-number", "negative", "infinite"],
)
def test_parse_script_refuses_bad_scripts(script: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_script(script)


def test_builtin_script_output_is_exactly_the_expected_screen() -> None:
    """Byte for byte: no real time, no pid, no temporary path in the output."""
    assert run_headless(parse_script(BUILTIN_SCRIPT)) == EXPECTED.read_text(encoding="utf-8")


def test_headless_edits_a_given_file(tmp_path: Path) -> None:
    path = tmp_path / "given.txt"
    path.write_text("first\n")
    out = run_headless(parse_script("{down}second{ctrl s}"), path, size=(40, 6))
    assert path.read_text() == "first\nsecond"
    lines = out.splitlines()
    assert lines[0].startswith(" kernel demo: given.txt")
    assert lines[1:3] == ["first", "second"]
    assert "saved given.txt" in out
    assert str(tmp_path) not in out
    assert "kernel stopped (Stopping)" in out


def test_headless_screen_keeps_the_last_frame() -> None:
    screen = HeadlessScreen((10, 2))
    assert screen.get_cols_rows() == (10, 2)
    assert screen.get_input_descriptors() == []
    assert screen.text == ""


def test_main_headless_prints_the_screen(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--headless", "--script", "hi{ctrl q}"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "hi"
    assert "kernel stopped (Stopping)" in out


def test_main_refuses_a_bad_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--script", "{wait x}"]) == 2
    assert "bad wait" in capsys.readouterr().err


def test_main_without_urwid_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "urwid", None)
    assert main(["--headless"]) == 2
    assert "pip install -e '.[demo]'" in capsys.readouterr().err


def test_parse_args_defaults() -> None:
    args = parse_args([])
    assert (args.file, args.headless, args.script, args.loop, args.busy) == (
        None,
        False,
        None,
        "kernel",
        False,
    )


def test_module_runs_headless_when_stdout_is_not_a_terminal() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kernel.demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.stdout == EXPECTED.read_text(encoding="utf-8")


def test_main_on_a_terminal_runs_the_editor(monkeypatch: pytest.MonkeyPatch) -> None:
    import kernel.demo.terminal

    calls: list[tuple[object, str, bool]] = []

    def fake_run_terminal(path: object, *, loop: str, busy: bool) -> int:
        calls.append((path, loop, busy))
        return 0

    monkeypatch.setattr(kernel.demo.terminal, "run_terminal", fake_run_terminal)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["f.txt", "--loop", "select", "--busy"]) == 0
    assert calls == [(Path("f.txt"), "select", True)]


@pytest.mark.parametrize("doc", ["README.md", "docs/demo.md"])
def test_docs_show_the_current_headless_screen(doc: str) -> None:
    text = (Path(__file__).parent.parent / doc).read_text(encoding="utf-8")
    assert f"```text\n{EXPECTED.read_text(encoding='utf-8')}```" in text
