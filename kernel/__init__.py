"""kernel: an editor-style, single-threaded kernel runtime.

One `Runtime` is the main loop of a terminal editor or any interactive program: a priority event
queue, a bounded work queue, a hierarchical timer wheel and an exception-catching executor,
advanced one `tick()` at a time. See README.md and docs/ for the design.
"""

from kernel._bus import Event as Event
from kernel._bus import EventBus as EventBus
from kernel._bus import EventResult as EventResult
from kernel._bus import HandlerContext as HandlerContext
from kernel._bus import Subscription as Subscription
from kernel._clock import Clock as Clock
from kernel._clock import MonotonicClock as MonotonicClock
from kernel._commands import CommandSender as CommandSender
from kernel._commands import Emergency as Emergency
from kernel._commands import QueueEvent as QueueEvent
from kernel._commands import RuntimeCommand as RuntimeCommand
from kernel._commands import ScheduleTask as ScheduleTask
from kernel._commands import Shutdown as Shutdown
from kernel._config import RuntimeConfig as RuntimeConfig
from kernel._errors import InvalidStateError as InvalidStateError
from kernel._errors import KernelError as KernelError
from kernel._errors import LivelockError as LivelockError
from kernel._event_queue import EventQueue as EventQueue
from kernel._reporting import ErrorHandler as ErrorHandler
from kernel._reporting import ErrorReport as ErrorReport
from kernel._runtime import Runtime as Runtime
from kernel._scope import EventScope as EventScope
from kernel._state import RuntimeState as RuntimeState
from kernel._stats import RuntimeStats as RuntimeStats
from kernel._stats import ShutdownReport as ShutdownReport
from kernel._task import Priority as Priority
from kernel._task import Task as Task
from kernel._task import TaskId as TaskId
from kernel._task import TaskState as TaskState
from kernel._timer_handle import MissedTicks as MissedTicks
from kernel._timer_handle import TimerHandle as TimerHandle
from kernel._timer_handle import TimerId as TimerId
from kernel._timer_wheel import TimerWheel as TimerWheel
from kernel._work_queue import WorkQueue as WorkQueue

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
    "Subscription",
    "Task",
    "TaskId",
    "TaskState",
    "TimerHandle",
    "TimerId",
    "TimerWheel",
    "WorkQueue",
]
