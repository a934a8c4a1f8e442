"""The host benchmarks (P12, P13) without their optional packages: smoke tests only, as
tests/test_bench.py (which runs them with every package installed)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from kernel.bench import p12_asyncio_host, p13_urwid_host
from kernel.bench.runner import Settings

if TYPE_CHECKING:
    import pytest


def quick() -> Settings:
    return Settings(quick=True, progress=lambda line: None)


def test_p13_has_no_rows_without_urwid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "urwid", None)  # makes `import urwid` fail
    monkeypatch.delitem(sys.modules, "kernel.hosts.urwid", raising=False)
    assert p13_urwid_host.measure(quick()) == []


def test_p12_has_no_uvloop_row_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    rows = p12_asyncio_host.measure(quick())
    assert [row.id for row in rows] == ["P12"]
    assert rows[0].kernel > 0
    assert rows[0].anchor > 0
