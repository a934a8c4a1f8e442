"""Event, the optional base class of events, and EventResult."""

from __future__ import annotations

from kernel import Event, EventResult


def test_event_defaults_and_results() -> None:
    assert Event().priority == 100
    assert [r.is_handled for r in EventResult] == [True, False, False]
    assert [r.is_consumed for r in EventResult] == [False, True, False]
    assert [r.is_not_handled for r in EventResult] == [False, False, True]
