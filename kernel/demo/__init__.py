"""``python -m kernel.demo``: a small terminal text editor whose main loop is kernel (SPEC §16).

It runs on urwid through `kernel.hosts.urwid.KernelEventLoop` and needs the ``demo`` extra
(``pip install -e '.[demo]'``). docs/demo.md describes what it shows of kernel and how it is
built: `document` (the buffer and its file), `files` (atomic saves), `watcher` (a thread that
notices changes on disk), `jobs` (worker-thread jobs), `view` (the urwid widgets), `app` (the
wiring of timers, events and keys), `terminal` and `headless` (the two ways to run it).

A leaf: nothing else in kernel imports it, and it uses only kernel's public API.
"""
