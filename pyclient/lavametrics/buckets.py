"""The bucket bounds of the bot's histograms (``BotMetrics``), defined once for the code that
exports them and the code that writes rules and thresholds against them (the mixin), which
must not depend on each other."""

from __future__ import annotations

# Every latency the shipped alerts and SLO compare with (2 s p95, 2.5 s SLO bound) is a
# boundary here, so the comparison is exact (the mixin refuses a threshold that is not);
# 0.75 and 1.5 keep the interpolated p95 of the panels within half a second of the truth
# around the thresholds.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 30.0)
# tracks returned per search
RESULT_BUCKETS = (0, 1, 2, 5, 10, 25, 50, 100)
