"""Rules about the code itself: only the clock module reads the system time (SPEC §8)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kernel

PACKAGE = Path(kernel.__file__).parent
RUNTIME_MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "bench"
)
TIME_READERS = {"time", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "sleep"}


@pytest.mark.parametrize("path", RUNTIME_MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_only_the_clock_module_reads_system_time(path: Path) -> None:
    """SPEC §8: time is injected; only kernel/_core/clock.py touches the time module.

    (kernel/bench/ measures wall and CPU time on purpose and is not part of the runtime.)
    """
    if path == PACKAGE / "_core" / "clock.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert all(alias.name != "time" for alias in node.names), path.name
        elif isinstance(node, ast.ImportFrom):
            assert node.module != "time", path.name
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert not (node.value.id == "time" and node.attr in TIME_READERS), path.name


def test_clock_module_is_the_one_that_reads_time() -> None:
    assert "time.monotonic" in (PACKAGE / "_core" / "clock.py").read_text(encoding="utf-8")
