"""Our metric names never collide with Lavalink core's, released or coming.

simpleclient throws on a second registration of a name in the default registry, and the order
Lavalink's beans and a plugin's register in is not fixed: a collision would cost one side its
metrics at random. Lavalink's development branch adds counters (tests/metricnames.LAVALINK_DEV,
from lavalink-devs/Lavalink dev 800c2ae SearchMetrics.kt), so they are listed here too.
"""

from __future__ import annotations

from lavametrics.mixin import rules
from lavametrics.mixin.config import MixinConfig
from tests import metricnames


def _registered(name: str) -> set[str]:
    """The names simpleclient registers for a family or sample name: with and without _total,
    and a counter's _created."""
    base = name.removesuffix("_total")
    return {name, base, f"{base}_total", f"{base}_created"}


def test_lavalinks_development_branch_metrics_are_listed_as_core():
    assert {"lavalink_tracks_played_total", "lavalink_item_load_results_total"} <= metricnames.lavalink_core_names()


def test_no_family_of_ours_takes_a_lavalink_core_name():
    core = set().union(*(_registered(n) for n in metricnames.lavalink_core_names()))
    clashes = {
        (f.source, f.name)
        for f in metricnames.own_families()
        if core & set().union(*(_registered(n) for n in (f.name, *f.samples)))
    }
    assert not clashes


def test_no_recording_rule_takes_a_lavalink_core_name():
    assert not rules.recorded_names(MixinConfig()) & metricnames.lavalink_core_names()
