"""`Callback`: a callable with its arguments and an optional name, as I/O sources, signal
handlers and idle callbacks keep them."""

from __future__ import annotations

from typing import Any

from kernel._core.task import check_name, describe_callable
from kernel._core.validate import check_callable

__all__ = ["Callback"]


class Callback:
    """``fn(*args)``, with the name an `ErrorReport` shows for it.

    Args:
        fn: the callable (checked).
        args: its positional arguments.
        name: shown in error reports instead of the callable's qualified name.

    Raises:
        TypeError: `fn` is not callable, or `name` is neither a str nor None.
    """

    __slots__ = ("args", "fn", "name")

    def __init__(self, fn: Any, args: tuple[Any, ...], name: str | None) -> None:
        check_callable(fn)
        check_name(name)
        self.fn = fn
        self.args = args
        self.name = name

    def describe(self) -> str:
        """The name if there is one, else the callable's qualified name."""
        return self.name if self.name is not None else describe_callable(self.fn)

    def __repr__(self) -> str:
        return f"<Callback {self.describe()}>"
