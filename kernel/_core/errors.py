"""The exceptions kernel raises.

Every class derives from `KernelError` and, where a user would naturally catch a builtin, from that
builtin too, so ``except RuntimeError`` keeps working around kernel calls.
"""

from __future__ import annotations

__all__ = ["InvalidStateError", "KernelError", "LivelockError"]


class KernelError(Exception):
    """Base class of every error kernel raises on purpose."""


class InvalidStateError(KernelError, RuntimeError):
    """A lifecycle method was called in a state that does not allow it (e.g. `boot()` twice)."""


class LivelockError(KernelError, RuntimeError):
    """Work was still ready after the tick budget of `run_until_idle()` or `advance()` ran out."""
