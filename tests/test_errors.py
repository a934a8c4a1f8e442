"""kernel._core.errors: the exceptions kernel raises, and which builtins they also are."""

from __future__ import annotations

import pytest

from kernel import InvalidStateError, KernelError, LivelockError


def test_invalid_state_error_is_a_kernel_and_runtime_error() -> None:
    assert issubclass(InvalidStateError, KernelError)
    assert issubclass(InvalidStateError, RuntimeError)


@pytest.mark.parametrize(
    "error", [InvalidStateError, LivelockError], ids=["invalid-state", "livelock"]
)
def test_errors_are_caught_as_kernel_and_runtime_errors(error: type[KernelError]) -> None:
    with pytest.raises(KernelError, match=r"^why$"):
        raise error("why")
    with pytest.raises(RuntimeError, match=r"^why$"):
        raise error("why")


def test_kernel_error_is_an_exception_but_no_runtime_error() -> None:
    assert issubclass(KernelError, Exception)
    assert not issubclass(KernelError, RuntimeError)


def test_invalid_state_and_livelock_are_distinct() -> None:
    assert not issubclass(LivelockError, InvalidStateError)
    assert not issubclass(InvalidStateError, LivelockError)
