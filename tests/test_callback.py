"""kernel._core.callback: `Callback`, a callable with its arguments and an optional name."""

from __future__ import annotations

import functools

import pytest

from kernel._core.callback import Callback


def add(a: int, b: int) -> int:
    return a + b


def test_callback_repr_names_the_callable() -> None:
    assert repr(Callback(print, (), None)) == "<Callback builtins.print>"
    assert repr(Callback(print, (), "named")) == "<Callback named>"


def test_callback_keeps_its_callable_arguments_and_name() -> None:
    callback = Callback(add, (1, 2), "sum")
    assert callback.fn is add
    assert callback.args == (1, 2)
    assert callback.name == "sum"
    assert callback.fn(*callback.args) == 3


@pytest.mark.parametrize(
    ("fn", "name", "expected"),
    [
        (add, None, f"{__name__}.add"),
        (add, "named", "named"),
        (add, "", ""),
        (functools.partial(add, 1), None, "functools.partial(<function add at"),
    ],
    ids=["qualname", "name-wins", "empty-name-is-a-name", "no-qualname-repr"],
)
def test_callback_describe_prefers_the_name(fn: object, name: str | None, expected: str) -> None:
    assert Callback(fn, (), name).describe().startswith(expected)


@pytest.mark.parametrize(
    ("fn", "name", "message"),
    [
        (None, None, r"^fn must be callable, got None$"),
        ("print", "x", r"^fn must be callable, got 'print'$"),
        (print, 1, r"^name must be a str or None, got 1$"),
        (print, b"x", r"^name must be a str or None, got b'x'$"),
    ],
    ids=["none-fn", "str-fn", "int-name", "bytes-name"],
)
def test_callback_rejects_bad_arguments(fn: object, name: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Callback(fn, (), name)  # type: ignore[arg-type]


def test_callback_has_no_instance_dict() -> None:
    callback = Callback(print, (), None)
    with pytest.raises(AttributeError, match=r"'Callback' object has no attribute 'extra'"):
        callback.extra = 1  # type: ignore[attr-defined]
