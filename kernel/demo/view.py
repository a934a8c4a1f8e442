"""The editor's urwid widgets: the text, a title, the stats panel, a status and a message line.

The view holds no logic: `kernel.demo.app.EditorApp` decides what they show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import urwid

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["CLOCK_WIDTH", "HELP", "PALETTE", "STATS_WIDTH", "EditorView"]

PALETTE: Final = [
    ("title", "white,bold", "dark blue"),
    ("status", "black", "light gray"),
    ("message", "yellow", "default"),
    ("stats", "light cyan", "default"),
]
"""Display attributes: a terminal without colours shows the text alone, still readable."""
STATS_WIDTH: Final = 34
"""Columns of the stats panel: its longest line (30) plus the box."""
CLOCK_WIDTH: Final = 10
"""Columns of the clock at the right of the status line: ``HH:MM:SS`` and a margin."""
HELP: Final = "^S save  ^R reload  F2 stats  F3 slow task  ^Q quit"
"""The keys, shown in the title bar."""


class EditorView:
    """The widget tree: a title bar, the text (and the stats panel beside it), the status line
    and the message line.

    Args:
        text: the text to edit.
        on_change: called (with no arguments) after each change of the text by the user.
    """

    def __init__(self, text: str, on_change: Callable[[], object]) -> None:
        self.edit = urwid.Edit(edit_text=text, multiline=True, allow_tab=True)
        self.edit.set_edit_pos(0)
        urwid.connect_signal(self.edit, "postchange", lambda *_: on_change())
        self._title = urwid.Text("", wrap="clip")
        self._status = urwid.Text("", wrap="clip")
        self._clock = urwid.Text("", align="right", wrap="clip")
        self._message = urwid.Text("", wrap="clip")
        self._stats = urwid.Text("")
        self._text_area = urwid.ListBox(urwid.SimpleFocusListWalker([self.edit]))
        self._stats_box = urwid.AttrMap(
            urwid.LineBox(urwid.Filler(self._stats, valign="top"), title="kernel stats"), "stats"
        )
        self._body = urwid.Columns([self._text_area])
        self.widget = urwid.Frame(
            self._body,
            header=urwid.AttrMap(self._title, "title"),
            footer=urwid.Pile(
                [
                    urwid.AttrMap(
                        urwid.Columns([self._status, (CLOCK_WIDTH, self._clock)]), "status"
                    ),
                    urwid.AttrMap(self._message, "message"),
                ]
            ),
        )

    @property
    def text(self) -> str:
        """The text in the editor."""
        return str(self.edit.edit_text)

    def set_text(self, text: str) -> None:
        """Replace the text (a reload), keeping the cursor within it."""
        position = min(self.edit.edit_pos, len(text))
        self.edit.set_edit_text(text)
        self.edit.set_edit_pos(position)

    def cursor(self) -> tuple[int, int]:
        """The cursor's ``(line, column)``, both from 1."""
        text = self.edit.edit_text
        position = self.edit.edit_pos
        line_start = text.rfind("\n", 0, position) + 1
        return text.count("\n", 0, position) + 1, position - line_start + 1

    def set_title(self, title: str) -> None:
        """The title bar's text."""
        self._title.set_text(title)

    def set_status(self, status: str, clock: str) -> None:
        """The status line: `status` on the left, `clock` on the right."""
        self._status.set_text(status)
        self._clock.set_text(clock)

    def set_message(self, message: str) -> None:
        """The message line's text (the latest message)."""
        self._message.set_text(message)

    @property
    def message(self) -> str:
        """The message line's text."""
        return str(self._message.text)

    @property
    def is_stats_shown(self) -> bool:
        """True while the stats panel is shown."""
        return len(self._body.contents) == 2

    def show_stats(self, lines: Sequence[str] | None) -> None:
        """Show the stats panel with `lines`, or hide it (None). The text keeps the focus."""
        if lines is None:
            if self.is_stats_shown:
                del self._body.contents[1]
            return
        self._stats.set_text("\n".join(lines))
        if not self.is_stats_shown:
            options = self._body.options("given", STATS_WIDTH)
            self._body.contents.append((self._stats_box, options))
            self._body.focus_position = 0
