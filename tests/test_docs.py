"""Run the examples in docs/*.md and README.md, so the documentation cannot drift from the code.

Every fenced block whose info string is exactly ``python`` runs. A file's blocks run in order in
one fresh module namespace, so a later block can use the names an earlier one defined; each file
gets a new namespace. Blocks meant only as illustrations are fenced ``text`` or ``pycon-not-run``.
Examples must not sleep (time.sleep raises here) and must not leave threads running.
"""

from __future__ import annotations

import re
import sys
import threading
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parent.parent
DOC_FILES: Final = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])

RUN_LANGUAGE: Final = "python"
"""The only info string whose blocks run."""
NOT_RUN_LANGUAGES: Final = frozenset({"pycon-not-run"})
"""Python-looking blocks that are deliberately not run (illustrations only)."""

OPTIONAL_PACKAGES: Final = frozenset({"urwid"})
"""Extras some examples import (docs/hosts.md, docs/testing.md): their blocks skip without them."""

_FENCE: Final = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced code block: its info string, its first code line (1-based) and its code."""

    language: str
    line: int
    code: str


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text, in order (CommonMark fences, not nested)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        index += 1
        if opening is None:
            continue
        fence = opening["fence"]
        language = opening["info"].strip().split(" ", 1)[0]
        start = index
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if (
                closing is not None
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            index += 1
        body = [line.removeprefix(opening["indent"]) for line in lines[start:index]]
        blocks.append(Block(language, start + 1, "\n".join(body) + "\n"))
        index += 1  # past the closing fence
    return blocks


def _file_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _no_sleep(seconds: float) -> None:
    msg = f"documentation examples must not sleep (time.sleep({seconds!r})); use ManualClock"
    raise AssertionError(msg)


def test_fenced_blocks_reads_languages_lines_and_code() -> None:
    text = "intro\n```python\nx = 1\n\ny = 2\n```\n\n````text\n```python\nnot code\n```\n````\n"
    assert fenced_blocks(text) == [
        Block("python", 3, "x = 1\n\ny = 2\n"),
        Block("text", 9, "```python\nnot code\n```\n"),
    ]


@pytest.mark.parametrize("path", DOC_FILES, ids=_file_id)
def test_doc_python_fences_are_known(path: Path) -> None:
    """A misspelt fence (```pyhton, ```py) would silently stop an example from running."""
    if not path.exists():
        pytest.skip(f"{_file_id(path)} does not exist yet")
    for block in fenced_blocks(path.read_text(encoding="utf-8")):
        if block.language.startswith("py"):
            assert block.language == RUN_LANGUAGE or block.language in NOT_RUN_LANGUAGES, (
                f"{_file_id(path)}:{block.line - 1}: fence {block.language!r} neither runs "
                f"(```{RUN_LANGUAGE}) nor is marked as not run ({sorted(NOT_RUN_LANGUAGES)})"
            )


@pytest.mark.parametrize("path", DOC_FILES, ids=_file_id)
def test_doc_examples_run(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not path.exists():
        pytest.skip(f"{_file_id(path)} does not exist yet")
    blocks = [
        b for b in fenced_blocks(path.read_text(encoding="utf-8")) if b.language == RUN_LANGUAGE
    ]
    if not blocks:
        pytest.skip(f"{_file_id(path)} has no python examples")
    monkeypatch.setattr(time, "sleep", _no_sleep)
    threads_before = set(threading.enumerate())
    name = "docs_" + re.sub(r"\W", "_", path.stem)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # dataclasses and typing look classes' modules up here
    try:
        for block in blocks:
            # Leading newlines make tracebacks point at the block's lines in the Markdown file.
            source = "\n" * (block.line - 1) + block.code
            try:
                exec(compile(source, str(path), "exec"), module.__dict__)
            except ModuleNotFoundError as exc:
                if exc.name not in OPTIONAL_PACKAGES:
                    raise
                pytest.skip(f"{_file_id(path)}:{block.line}: needs {exc.name}, not installed")
    finally:
        del sys.modules[name]
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert not leftover, f"{_file_id(path)} left threads running: {leftover}"


_LINK: Final = re.compile(r"\]\((?P<target>[^)\s]*\.md)?(?:#(?P<anchor>[^)\s]+))?\)")


def _prose(text: str) -> str:
    """`text` without its fenced blocks (links inside code are not links)."""
    kept: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        match = _FENCE.match(line)
        if match is not None and (fence is None or match["fence"].startswith(fence)):
            fence = match["fence"] if fence is None else None
            continue
        if fence is None:
            kept.append(line)
    return "\n".join(kept)


def _anchors(text: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown text."""
    headings = re.findall(r"^#{1,6} +(.+?) *$", _prose(text), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_anchors_follow_github_slugs() -> None:
    assert _anchors("# Re-arming: `reset()`\n```text\n# not a heading\n```\n## The horizon\n") == {
        "re-arming-reset",
        "the-horizon",
    }


@pytest.mark.parametrize("path", DOC_FILES, ids=_file_id)
def test_doc_links_resolve(path: Path) -> None:
    """Links between the pages, and to their sections, point at files and headings that exist."""
    if not path.exists():
        pytest.skip(f"{_file_id(path)} does not exist yet")
    broken: list[str] = []
    for match in _LINK.finditer(_prose(path.read_text(encoding="utf-8"))):
        target = path if match["target"] is None else path.parent / match["target"]
        anchor = match["anchor"]
        resolves = target.exists() and (
            anchor is None or anchor in _anchors(target.read_text(encoding="utf-8"))
        )
        if not resolves:
            broken.append(match[0])
    assert not broken, f"{_file_id(path)} has broken links: {broken}"


DESIGN_PAGES: Final = ("architecture", "timer_wheel", "event_bus", "threading", "testing")
"""The pages that explain the design; each must show runnable examples."""


@pytest.mark.parametrize("page", DESIGN_PAGES)
def test_design_page_has_examples(page: str) -> None:
    path = ROOT / "docs" / f"{page}.md"
    assert path in DOC_FILES, f"{_file_id(path)} is missing"
    blocks = fenced_blocks(path.read_text(encoding="utf-8"))
    assert any(b.language == RUN_LANGUAGE for b in blocks), f"{_file_id(path)} has no examples"
