"""An instrument whose ``before_callback`` or ``after_callback`` hook is interrupted once.

The callback sites' tests use it to check that a hook's interrupt is not taken for the
callback's own (docs/reliability.md): the callback is accounted for as it went (not run, or
run and ended), and the `KeyboardInterrupt` propagates.
"""

from __future__ import annotations

from kernel._core.instruments import Instruments

__all__ = ["InterruptOnce", "Reports", "instruments_with"]

Reports = list[tuple[str, BaseException, str]]


class InterruptOnce:
    """An instrument whose `hook` (``"before_callback"`` or ``"after_callback"``) raises
    `KeyboardInterrupt` around the first callback it sees described as `at` (any if None); it
    counts every call in `calls`."""

    def __init__(self, hook: str, at: str | None = None) -> None:
        self.at = at
        self.calls = 0
        self.raised = False
        setattr(self, hook, self._hook)

    def _hook(self, phase: str, callback: str, *rest: object) -> None:
        self.calls += 1
        if not self.raised and self.at in (None, callback):
            self.raised = True
            raise KeyboardInterrupt


def instruments_with(hook: str, at: str | None = None) -> tuple[Instruments, Reports]:
    """`Instruments` holding an `InterruptOnce`, and the reports they make."""
    reports: Reports = []
    instruments = Instruments(lambda *report: reports.append(report), lambda: None)
    instruments.add(InterruptOnce(hook, at))
    return instruments, reports
