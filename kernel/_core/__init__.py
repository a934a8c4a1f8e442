"""The loop itself: every part `Runtime`'s own methods need (docs/architecture.md).

Private: users import from `kernel`. This package imports only the standard library, blinker,
sortedcontainers and typing_extensions, and nothing from outside `kernel._core`.
"""
