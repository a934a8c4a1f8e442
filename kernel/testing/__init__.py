"""Test helpers: `ManualClock`, a clock that moves only when told to, and `ErrorCollector`.

With a `ManualClock` a runtime is fully deterministic: `Runtime.advance()` walks virtual time from
deadline to deadline, and nothing ever waits in real time for a timer. The pytest plugin
(`kernel.testing.plugin`, registered through the ``pytest11`` entry point) builds fixtures from
both; `kernel.testing.strategies` holds Hypothesis strategies (imported only on request: this
package does not import Hypothesis). See docs/testing.md.
"""

from kernel.testing.error_collector import ErrorCollector as ErrorCollector
from kernel.testing.manual_clock import ManualClock as ManualClock

__all__ = ["ErrorCollector", "ManualClock"]
