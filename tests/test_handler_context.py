"""HandlerContext: follow-ups, render and quit requests, on a standalone bus."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kernel import Event, EventBus, EventResult, HandlerContext
from kernel.testing import ErrorCollector

HANDLED = EventResult.HANDLED


@dataclass
class Key(Event):
    key: str = "a"


@pytest.fixture
def bus() -> EventBus:
    return EventBus(error_handler=ErrorCollector())


def test_standalone_context_requests_have_no_effect(bus: EventBus) -> None:
    def handler(event: Key, ctx: HandlerContext) -> EventResult:
        ctx.request_render()
        ctx.request_quit()
        return HANDLED

    bus.subscribe_with_context(Key, handler)
    assert bus.emit(Key()) is HANDLED
    assert repr(bus._context) == "<HandlerContext scope=None>"
