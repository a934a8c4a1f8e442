"""kernel's benchmark suite: ``python -m kernel.bench`` measures the goals P1-P9.

Every goal is a ratio taken in one process, in one run: kernel against the thing a user would
otherwise pick (asyncio, blinker) or against a floor (a plain call, wall time). One module per
workload (``p1_tasks`` … ``p9_memory``); `kernel.bench.runner` times the sides alternately and
prints the table. docs/performance.md explains the workloads and holds the latest full table.
"""
