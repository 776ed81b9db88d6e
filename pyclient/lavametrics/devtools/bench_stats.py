"""The arithmetic of ``bench_node ab``: which runs count, and what the pairs that count say.

Kept apart from the harness so the rules and the statistics are unit-tested on fixed inputs.

**Which runs count.** A run measures the node's CPU while it does a fixed amount of work:
``players`` streams of 50 frames per second. When the workload itself broke (players not
streaming, frames not delivered), the CPU figure describes a different, smaller workload and
the pair's ratio is meaningless; such a run is *invalid*, repeated, and never averaged in.

**What the pairs say.** The interval is for the *median* of the paired ratios, from order
statistics (the sign-test interval): with n ratios sorted, [r_(k), r_(n-k+1)] covers the
population median with probability 1 - 2 P(B <= k-1), B ~ Binomial(n, 1/2). It assumes only
that pairs are independent (each run is a fresh JVM) and that ratios have a continuous
distribution: no normality and no symmetry, which matters here, because the ratios of a busy
machine are skewed by single spiky runs (1.133 beside 1.002 in one session). It is exact
(conservative: the coverage is at least the nominal level), deterministic (unlike a
bootstrap, two reports of the same pairs agree) and it does not shrink below what the data
support: with fewer than 6 pairs no 95 % interval exists, and it says so instead of printing a
misleadingly narrow one. A bootstrap of the mean would be narrower at small n, but its coverage
at n = 6..20 with skewed ratios is below its nominal level, and the mean is pulled by exactly
the outliers the machine produces.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# a run whose frames fall short of 50/s/player by more than this measured a smaller workload
MAX_FRAME_DEFICIT = 0.01
# a player counts as streaming in a one-second slice if it delivered at least this share of
# its 50 frames there: a GC pause or a late sample shifts a few frames between slices, a
# stopped or stalled stream delivers none
MIN_SLICE_SHARE = 0.5


def median_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float] | None:
    """Distribution-free interval for the median: (low, high, actual coverage), or None when
    there are too few values for any interval of that confidence (n < 6 at 95 %)."""
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return None
    best = None
    # k = 1 gives the widest interval [min, max]; larger k narrows it while coverage allows
    for k in range(1, n // 2 + 1):
        coverage = 1.0 - 2.0 * _binomial_cdf(k - 1, n)
        if coverage < confidence:
            break
        best = (xs[k - 1], xs[n - k], coverage)
    return best


def poisson_ci(count: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count: how far a profile's sample
    count could be from its expectation. Solved by bisection on the Poisson CDF, no SciPy."""
    alpha = 1.0 - confidence
    k = int(round(count))

    def cdf(n: int, mu: float) -> float:
        if mu <= 0:
            return 1.0
        term = math.exp(-mu)
        total = term
        for i in range(1, n + 1):
            term *= mu / i
            total += term
        return min(1.0, total)

    def solve(target: float, n: int) -> float:
        lo, hi = 0.0, max(10.0, 10.0 * (n + 1))
        for _ in range(200):  # cdf(n, mu) falls as mu grows
            mid = (lo + hi) / 2
            if cdf(n, mid) > target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    low = 0.0 if k == 0 else solve(1.0 - alpha / 2, k - 1)
    high = solve(alpha / 2, k)
    return low, high


def _binomial_cdf(k: int, n: int) -> float:
    """P(B <= k) for B ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n


@dataclass(frozen=True)
class RatioSummary:
    n: int
    median: float | None
    ci_low: float | None
    ci_high: float | None
    coverage: float | None
    confidence: float

    @property
    def half_width(self) -> float | None:
        """The larger side of the interval around the median, relative to it (0.02 = ±2 %)."""
        if self.median is None or self.ci_low is None or self.ci_high is None:
            return None
        return max(self.ci_high - self.median, self.median - self.ci_low) / self.median

    def upper_below(self, bound: float) -> bool | None:
        """Whether the interval's upper end is under `bound` (None: no interval yet)."""
        return None if self.ci_high is None else self.ci_high < bound

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "median": self.median,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "coverage": self.coverage,
            "confidence": self.confidence,
            "half_width": self.half_width,
            "upper_below_1_05": self.upper_below(1.05),
            "upper_below_1_01": self.upper_below(1.01),
        }


def summarize_ratios(ratios: Sequence[float], confidence: float = 0.95) -> RatioSummary:
    ci = median_ci(ratios, confidence)
    return RatioSummary(
        n=len(ratios),
        median=statistics.median(ratios) if ratios else None,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        coverage=ci[2] if ci else None,
        confidence=confidence,
    )


def precise_enough(summary: RatioSummary, target_half_width: float) -> bool:
    """The stopping rule of ``--target-ci``: an interval exists and is within ±target."""
    hw = summary.half_width
    return hw is not None and hw <= target_half_width


def frame_deficit(expected: float, delivered: float) -> float:
    """Share of the frames the workload asked for that did not arrive (0 when none were asked)."""
    return max(0.0, (expected - delivered) / expected) if expected > 0 else 0.0


def silent_slices(
    slices: Sequence[tuple[float, Mapping[str, float]]], players: Sequence[str], frames_per_second: float = 50.0
) -> dict[str, int]:
    """Players that were not streaming in some slice of the window.

    `slices` holds, for each consecutive slice of about a second, its length in seconds and the
    packets delivered per player in it (a player with no entry delivered none). Returns
    {player: slices it was silent in}, only for players silent at least once: a player is
    silent in a slice when it delivered under MIN_SLICE_SHARE of the frames the slice's length
    asks for.
    """
    silent: dict[str, int] = {}
    for seconds, counts in slices:
        floor = MIN_SLICE_SHARE * frames_per_second * seconds
        for player in players:
            if counts.get(player, 0) < floor:
                silent[player] = silent.get(player, 0) + 1
    return silent


def invalid_reasons(run: Mapping, players: int, max_deficit: float = MAX_FRAME_DEFICIT) -> list[str]:
    """Why a run does not count (empty: it counts). `run` is what ``bench_node.run_once`` returns."""
    reasons = []
    if run.get("error"):
        reasons.append(f"run failed: {run['error']}")
        return reasons
    if not run.get("steady", True):
        reasons.append(f"never reached steady streaming in {run.get('warmup_s', 0):.0f} s of warm-up")
    deficit = run.get("frame_deficit_ratio", 0.0)
    if deficit > max_deficit:
        reasons.append(f"frame deficit {deficit * 100:.2f} % > {max_deficit * 100:g} %")
    connected = run.get("players_connected", players)
    if connected < players:
        reasons.append(f"{players - connected} of {players} players disconnected by the end of the window")
    silent = run.get("silent_players") or {}
    if silent:
        worst = max(silent.values())
        reasons.append(
            f"{len(silent)} of {players} players not streaming through the window "
            f"(silent up to {worst} of {run.get('window_slices', '?')} one-second slices)"
        )
    return reasons


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q` quantile (0.99 = p99) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def interleaved_order(rounds: int) -> list[tuple[str, str]]:
    """Which node a round of scrapes asks first: A then B, then B then A, and so on, so neither
    side always comes right after the other's scrape (whose work, GC or cache misses may still
    be settling) and a load that drifts within the run hits both sides alike."""
    return [("with", "without") if i % 2 == 0 else ("without", "with") for i in range(rounds)]


def block_ratios(a: Sequence[float], b: Sequence[float], blocks: int, q: float = 0.99) -> list[float]:
    """The `q` quantile of A over that of B in each of `blocks` consecutive blocks of paired rounds.

    `a[i]` and `b[i]` were measured in the same round, so a block holds both sides over the same
    stretch of time. The blocks' ratios are nearly independent repeats of the comparison (each
    block is its own stretch of the machine's load), which is what the sign-test interval of
    ``median_ci`` needs; a quantile of the whole run has no such repeats to give it an interval.
    Rounds that do not fill the last block are left out."""
    if len(a) != len(b):
        raise ValueError(f"paired rounds differ in length: {len(a)} and {len(b)}")
    size = len(a) // blocks if blocks > 0 else 0
    if size == 0:
        return []
    return [
        percentile(a[i * size : (i + 1) * size], q) / percentile(b[i * size : (i + 1) * size], q) for i in range(blocks)
    ]


def quantile_ratio(
    a: Sequence[float], b: Sequence[float], q: float = 0.99, blocks: int = 10, confidence: float = 0.95
) -> dict:
    """A's `q` quantile over B's from paired rounds: the ratio over all rounds, and the median of
    the per-block ratios with its distribution-free interval (see ``block_ratios``)."""
    ratios = block_ratios(a, b, blocks, q)
    s = summarize_ratios(ratios, confidence)
    return {
        "q": q,
        "ratio": percentile(a, q) / percentile(b, q),
        "blocks": len(ratios),
        "block_ratios": ratios,
        "median": s.median,
        "ci_low": s.ci_low,
        "ci_high": s.ci_high,
        "coverage": s.coverage,
        "confidence": confidence,
    }
