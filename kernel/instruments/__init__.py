"""Ready-made instruments for `Runtime.add_instrument` (SPEC §14; docs/observability.md).

- `LatencyHistogram`: tick and per-phase callback durations, with percentiles and a summary table.
"""

from kernel.instruments.histogram import LatencyHistogram as LatencyHistogram
from kernel.instruments.histogram import TickTiming as TickTiming

__all__ = ["LatencyHistogram", "TickTiming"]
