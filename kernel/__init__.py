"""kernel: an editor-style, single-threaded kernel runtime.

One `Runtime` is the main loop of a terminal editor or any interactive program: a priority event
queue, a bounded work queue, a hierarchical timer wheel and an exception-catching executor,
advanced one `tick()` at a time. See README.md and docs/ for the design.
"""

from kernel._core.bus import EventBus as EventBus
from kernel._core.clock import Clock as Clock
from kernel._core.clock import MonotonicClock as MonotonicClock
from kernel._core.commands import CommandSender as CommandSender
from kernel._core.commands import Emergency as Emergency
from kernel._core.commands import QueueEvent as QueueEvent
from kernel._core.commands import RuntimeCommand as RuntimeCommand
from kernel._core.commands import ScheduleTask as ScheduleTask
from kernel._core.commands import Shutdown as Shutdown
from kernel._core.config import RuntimeConfig as RuntimeConfig
from kernel._core.errors import InvalidStateError as InvalidStateError
from kernel._core.errors import KernelError as KernelError
from kernel._core.errors import LivelockError as LivelockError
from kernel._core.event_queue import EventQueue as EventQueue
from kernel._core.events import Event as Event
from kernel._core.events import EventResult as EventResult
from kernel._core.handler_context import HandlerContext as HandlerContext
from kernel._core.reporting import ErrorHandler as ErrorHandler
from kernel._core.reporting import ErrorReport as ErrorReport
from kernel._core.runtime import Runtime as Runtime
from kernel._core.scope import EventScope as EventScope
from kernel._core.state import RuntimeState as RuntimeState
from kernel._core.stats import RuntimeStats as RuntimeStats
from kernel._core.stats import ShutdownReport as ShutdownReport
from kernel._core.subscription import Subscription as Subscription
from kernel._core.task import Priority as Priority
from kernel._core.task import Task as Task
from kernel._core.task import TaskId as TaskId
from kernel._core.task import TaskState as TaskState
from kernel._core.tick_report import TickReport as TickReport
from kernel._core.timer_handle import TimerHandle as TimerHandle
from kernel._core.timer_periodic import MissedTicks as MissedTicks
from kernel._core.timer_slots import TimerId as TimerId
from kernel._core.timer_wheel import TimerWheel as TimerWheel
from kernel._core.watchdog import StallReport as StallReport
from kernel._core.work_queue import WorkQueue as WorkQueue

__all__ = [
    "Clock",
    "CommandSender",
    "Emergency",
    "ErrorHandler",
    "ErrorReport",
    "Event",
    "EventBus",
    "EventQueue",
    "EventResult",
    "EventScope",
    "HandlerContext",
    "InvalidStateError",
    "KernelError",
    "LivelockError",
    "MissedTicks",
    "MonotonicClock",
    "Priority",
    "QueueEvent",
    "Runtime",
    "RuntimeCommand",
    "RuntimeConfig",
    "RuntimeState",
    "RuntimeStats",
    "ScheduleTask",
    "Shutdown",
    "ShutdownReport",
    "StallReport",
    "Subscription",
    "Task",
    "TaskId",
    "TaskState",
    "TickReport",
    "TimerHandle",
    "TimerId",
    "TimerWheel",
    "WorkQueue",
]
