"""kernel.demo.select_host: the runtime pumped from urwid's own SelectEventLoop."""

from __future__ import annotations

import pytest

urwid = pytest.importorskip("urwid")

from kernel import Runtime  # noqa: E402
from kernel.demo.select_host import SelectHost  # noqa: E402
from kernel.testing import ManualClock  # noqa: E402


def test_pump_ticks_ready_work_and_sets_one_alarm_at_the_next_deadline() -> None:
    clock = ManualClock()
    rt = Runtime(clock=clock)
    rt.boot()
    host = SelectHost(rt)
    ran: list[str] = []
    rt.schedule_work(ran.append, "now")
    rt.schedule_delayed(5.0, ran.append, "later")
    host.pump()
    assert ran == ["now"]
    assert len(host.event_loop._alarms) == 1  # urwid has no public count
    host.pump()  # the old alarm is replaced, not added to
    assert len(host.event_loop._alarms) == 1
    host.stop()
    host.stop()  # idempotent
    rt.close()


def test_pump_without_timers_sets_no_alarm_and_ends_the_loop_at_the_stop() -> None:
    rt = Runtime(clock=ManualClock())
    rt.boot()
    host = SelectHost(rt)
    host.start()
    host.pump()
    assert host.event_loop._alarms == []
    rt.shutdown()
    with pytest.raises(urwid.ExitMainLoop):
        host.pump()
    host.stop()
    rt.close()
