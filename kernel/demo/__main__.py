"""``python -m kernel.demo [FILE] [--headless] [--script KEYS]``: the editor (docs/demo.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main", "parse_args"]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (``--loop`` and ``--busy`` are for the benchmark and stay hidden)."""
    parser = argparse.ArgumentParser(
        prog="python -m kernel.demo",
        description="A small terminal text editor whose main loop is kernel.",
    )
    parser.add_argument("file", nargs="?", type=Path, help="the file to edit (default: scratch)")
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run a key script on virtual time and print the final screen"
        " (the default when stdout is not a terminal)",
    )
    parser.add_argument(
        "--script",
        metavar="KEYS",
        help="the headless key script: text, {enter}, {ctrl s}, {f2}, {wait 1.5} ...",
    )
    parser.add_argument(
        "--loop", choices=("kernel", "select"), default="kernel", help=argparse.SUPPRESS
    )
    parser.add_argument("--busy", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the editor in the terminal, or headless; return the exit status."""
    args = parse_args(argv)
    try:
        import urwid  # noqa: F401  (only to say what is missing, clearly)
    except ImportError:
        print("the demo needs urwid: pip install -e '.[demo]'", file=sys.stderr)
        return 2
    if args.headless or args.script is not None or not sys.stdout.isatty():
        from kernel.demo.headless import BUILTIN_SCRIPT, parse_script, run_headless

        try:
            steps = parse_script(BUILTIN_SCRIPT if args.script is None else args.script)
        except ValueError as exc:
            print(f"python -m kernel.demo: {exc}", file=sys.stderr)
            return 2
        sys.stdout.write(run_headless(steps, args.file))
        return 0
    from kernel.demo.terminal import run_terminal

    return run_terminal(args.file, loop=args.loop, busy=args.busy)


if __name__ == "__main__":
    sys.exit(main())
