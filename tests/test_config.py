"""RuntimeConfig: defaults, immutability, and validation that names the field and the value."""

from __future__ import annotations

import dataclasses
import os

import pytest

from kernel import RuntimeConfig


def test_config_defaults() -> None:
    config = RuntimeConfig()
    assert dataclasses.asdict(config) == {
        "work_queue_capacity": 1024,
        "priority_queue_capacity": 256,
        "batch_size": 16,
        "max_timers": 1024,
        "timer_resolution": 0.001,
        "drain_limit": 100_000,
        "max_worker_threads": min(32, (os.cpu_count() or 1) + 4),
        "thread_join_timeout": 5.0,
        "stall_threshold": None,
        "debug": None,
        "slow_callback_duration": 0.1,
    }


def test_config_is_frozen_and_keyword_only() -> None:
    config = RuntimeConfig(batch_size=32)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.batch_size = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        RuntimeConfig(1024)  # type: ignore[call-arg]


INT_FIELDS = [
    "work_queue_capacity",
    "priority_queue_capacity",
    "batch_size",
    "max_timers",
    "drain_limit",
    "max_worker_threads",
]


@pytest.mark.parametrize("field", INT_FIELDS)
@pytest.mark.parametrize(
    ("value", "error", "template"),
    [
        (0, ValueError, r"^{field} must be >= 1, got 0$"),
        (-5, ValueError, r"^{field} must be >= 1, got -5$"),
        (True, TypeError, r"^{field} must be an int >= 1, got True$"),
        (2.0, TypeError, r"^{field} must be an int >= 1, got 2.0$"),
        ("8", TypeError, r"^{field} must be an int >= 1, got '8'$"),
    ],
    ids=["zero", "negative", "bool", "float", "str"],
)
def test_config_rejects_bad_integers(
    field: str, value: object, error: type[Exception], template: str
) -> None:
    with pytest.raises(error, match=template.format(field=field)):
        RuntimeConfig(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, r"^timer_resolution must be in \[1e-06, 1.0\] seconds, got 0$"),
        (1e-7, ValueError, r"^timer_resolution must be in \[1e-06, 1.0\] seconds, got 1e-07$"),
        (2.0, ValueError, r"^timer_resolution must be in \[1e-06, 1.0\] seconds, got 2.0$"),
        (float("nan"), ValueError, r"^timer_resolution must be in .*, got nan$"),
        (float("inf"), ValueError, r"^timer_resolution must be in .*, got inf$"),
        (True, TypeError, r"^timer_resolution must be a number of seconds, got True$"),
        ("1ms", TypeError, r"^timer_resolution must be a number of seconds, got '1ms'$"),
    ],
    ids=["zero", "too-fine", "too-coarse", "nan", "inf", "bool", "str"],
)
def test_config_rejects_bad_resolution(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        RuntimeConfig(timer_resolution=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1e-6, 0.001, 0.016, 1, 1.0])
def test_config_accepts_resolutions_in_range(value: float) -> None:
    assert RuntimeConfig(timer_resolution=value).timer_resolution == value


def test_config_never_clamps_large_values() -> None:
    config = RuntimeConfig(work_queue_capacity=10**6, priority_queue_capacity=10**6)
    assert (config.work_queue_capacity, config.priority_queue_capacity) == (10**6, 10**6)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-0.5, ValueError, r"^thread_join_timeout must be >= 0, got -0.5$"),
        (float("inf"), ValueError, r"^thread_join_timeout must be finite, got inf$"),
        (float("nan"), ValueError, r"^thread_join_timeout must be finite, got nan$"),
        (
            True,
            TypeError,
            r"^thread_join_timeout must be a number of seconds \(int or float\), got True$",
        ),
        (
            "5",
            TypeError,
            r"^thread_join_timeout must be a number of seconds \(int or float\), got '5'$",
        ),
    ],
    ids=["negative", "inf", "nan", "bool", "str"],
)
def test_config_rejects_bad_thread_join_timeout(
    value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RuntimeConfig(thread_join_timeout=value)  # type: ignore[arg-type]


def test_config_accepts_a_zero_thread_join_timeout() -> None:
    assert RuntimeConfig(thread_join_timeout=0).thread_join_timeout == 0


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, r"^stall_threshold must be > 0, got 0$"),
        (0.0, ValueError, r"^stall_threshold must be > 0, got 0.0$"),
        (-0.5, ValueError, r"^stall_threshold must be > 0, got -0.5$"),
        (float("nan"), ValueError, r"^stall_threshold must be finite, got nan$"),
        (float("inf"), ValueError, r"^stall_threshold must be finite, got inf$"),
        (
            True,
            TypeError,
            r"^stall_threshold must be a number of seconds \(int or float\), got True$",
        ),
        (
            "1s",
            TypeError,
            r"^stall_threshold must be a number of seconds \(int or float\), got '1s'$",
        ),
    ],
    ids=["zero", "zero-float", "negative", "nan", "inf", "bool", "str"],
)
def test_config_rejects_bad_stall_threshold(
    value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RuntimeConfig(stall_threshold=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0.25, 2, None], ids=["float", "int", "none"])
def test_config_accepts_stall_threshold(value: float | None) -> None:
    assert RuntimeConfig(stall_threshold=value).stall_threshold == value


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("debug", "yes", TypeError, r"^debug must be a bool or None, got 'yes'$"),
        ("debug", 1, TypeError, r"^debug must be a bool or None, got 1$"),
        (
            "slow_callback_duration",
            0,
            ValueError,
            r"^slow_callback_duration must be > 0, got 0$",
        ),
        (
            "slow_callback_duration",
            float("inf"),
            ValueError,
            r"^slow_callback_duration must be finite, got inf$",
        ),
        (
            "slow_callback_duration",
            None,
            TypeError,
            r"^slow_callback_duration must be a number of seconds \(int or float\), got None$",
        ),
    ],
    ids=["debug-str", "debug-int", "slow-zero", "slow-inf", "slow-none"],
)
def test_config_rejects_bad_debug_fields(
    field: str, value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RuntimeConfig(**{field: value})  # type: ignore[arg-type]
