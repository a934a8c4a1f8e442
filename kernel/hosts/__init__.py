"""Adapters that let a kernel `Runtime` live inside another program's main loop (SPEC §13).

- `kernel.hosts.asyncio`: ``await drive(rt)`` ticks a runtime inside a running asyncio loop.
- `kernel.hosts.urwid`: `KernelEventLoop`, a ``urwid.EventLoop`` backed by a runtime (needs the
  ``urwid`` extra).

They use only the public façade `kernel`. See docs/hosts.md.
"""
