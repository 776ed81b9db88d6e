"""bench_scale's replay of the captured expositions: counters advance, histograms stay consistent,
and the OpenMetrics history it backfills says the same as the live bodies."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lavametrics.devtools import bench_scale
from lavametrics.devtools.node import repo_root
from lavametrics.mixin.config import MixinConfig

ROOT = repo_root()


def _families():
    return (
        bench_scale.load_fixture(ROOT / bench_scale.FIXTURES / bench_scale.NODE_FIXTURE),
        bench_scale.load_fixture(ROOT / bench_scale.FIXTURES / bench_scale.BOT_FIXTURE),
    )


def _samples(body: str) -> dict[str, float]:
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def _histograms(samples: dict[str, float]) -> dict[str, list[tuple[float, float]]]:
    """series without le -> [(le, count)], and the _count of each as le=-1."""
    out: dict[str, list[tuple[float, float]]] = {}
    for key, value in samples.items():
        name, _, labels = key.partition("{")
        if name.endswith("_bucket"):
            parts = [p for p in labels.rstrip("}").split(",") if not p.startswith("le=")]
            le = labels.split('le="', 1)[1].split('"', 1)[0]
            series = name[: -len("_bucket")] + "{" + ",".join(parts) + "}"
            out.setdefault(series, []).append((math.inf if le == "+Inf" else float(le), value))
    return out


def test_the_fixtures_are_a_busy_node_and_a_bot_shard():
    node, bot = _families()
    names = {s.name for f in node for s in f.samples}
    # core's families and the plugin's, as a node with the plugin exposes them
    assert {"lavametrics_frames_sent_total", "jvm_memory_bytes_used", "lavametrics_players"} <= names
    assert sum(len(f.samples) for f in node) >= 250
    assert {"bot_commands_total", "bot_command_duration_seconds_bucket"} <= {s.name for f in bot for s in f.samples}
    playing = next(s for f in node for s in f.samples if s.prefix == 'lavametrics_players{state="playing"}')
    assert playing.base > 0


@pytest.mark.parametrize("which", [0, 1])
def test_counters_advance_and_histograms_stay_consistent(which):
    families = _families()[which]
    replay = bench_scale.Replay(families, k=1.3, age=120.0, origin=1_000.0)
    early, late = (_samples(replay.body(t).decode()) for t in (1_010.0, 1_400.0))
    assert early.keys() == late.keys()
    advancing = {s.prefix for f in families for s in f.samples if s.kind == bench_scale.ADVANCING and s.base > 0}
    assert advancing
    for key in advancing:
        assert late[key] > early[key], key
    for key in early.keys() - advancing:
        assert late[key] == early[key], key  # gauges as captured
    for body in (early, late):
        hists = _histograms(body)
        assert hists
        for series, buckets in hists.items():
            counts = [c for _, c in sorted(buckets)]
            assert counts == sorted(counts), series  # buckets monotone
            name, _, labels = series.partition("{")
            count_key = f"{name}_count{{{labels}" if labels != "}" else f"{name}_count"
            assert body[count_key] == counts[-1], series  # _count = +Inf


def test_shards_and_nodes_are_renumbered():
    node, bot = _families()
    _, shards = bench_scale.replays(node, bot, nodes=3, bots=4, origin=0.0)
    bodies = [s.body(10.0).decode() for s in shards]
    assert 'shard="3"' in bodies[3] and 'shard="0"' not in bodies[3]
    assert 'node="node-0000"' in bodies[3]  # shard 3 of 3 nodes reports node 3 % 3


def test_backfill_is_openmetrics_promtool_reads(tmp_path):
    node, bot = _families()
    nodes, bots = bench_scale.replays(node, bot, nodes=2, bots=1, origin=0.0)
    text = "".join(
        bench_scale.openmetrics_lines(
            [
                ("lavalink", [(r, f'instance="n{i}"') for i, r in enumerate(nodes)]),
                ("bot", [(bots[0], 'instance="b"')]),
            ],
            [100.0, 120.0],
        )
    )
    assert text.endswith("# EOF\n")
    assert ",}" not in text and "_created" not in text
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    assert len(types) == len(set(types))  # each family once, its samples together
    sent = [line for line in text.splitlines() if line.startswith("lavametrics_frames_sent_total{")]
    assert len(sent) == 4 and all('job="lavalink"' in line for line in sent)


def test_backfill_plan_bounds_the_samples():
    assert bench_scale.backfill_plan(600, max_samples=30_000_000, scrape_interval=10) == (6.0, 20.0)
    hours, step = bench_scale.backfill_plan(180_000, max_samples=30_000_000, scrape_interval=10, long_series=10_000)
    assert step == 20.0 and 0.25 <= hours < 1
    assert 10_000 * 6 * 180 + 170_000 * hours * 180 <= 30_000_000


def test_the_long_windows_read_the_frame_and_command_counters():
    names = bench_scale.long_window_names(MixinConfig())
    assert {"lavametrics_frames_sent_total", "bot_commands_total", "bot_command_duration_seconds_count"} <= names
    assert "jvm_memory_bytes_used" not in names and not any(":" in n for n in names)


def test_history_of_the_long_window_series_goes_back_further(tmp_path):
    node, bot = _families()
    nodes, _ = bench_scale.replays(node, bot, nodes=1, bots=1, origin=0.0)
    text = "".join(
        bench_scale.openmetrics_lines(
            [("lavalink", [(nodes[0], 'instance="n"')])],
            [0.0, 20.0, 40.0],
            full_from=40.0,
            long_names=frozenset({"lavametrics_frames_sent_total"}),
        )
    )
    early = [line for line in text.splitlines() if line.endswith(" 0.000")]
    assert early and all(line.startswith("lavametrics_frames_sent_total{") for line in early)
    assert any(line.startswith("jvm_memory_bytes_used{") and line.endswith(" 40.000") for line in text.splitlines())


def test_largest_n_within_the_share():
    rows = [{"nodes": n, "rule_eval_sum_share": s} for n, s in ((1, 0.001), (10, 0.01), (100, 0.09), (500, 0.2))]
    assert bench_scale.largest_within(rows) == 100
    assert bench_scale.largest_within([{"nodes": 1, "rule_eval_sum_share": 0.5}]) is None


def test_bad_node_counts_exit_non_zero(capsys):
    assert bench_scale.main(["--nodes", "1,x"]) == 2
    assert "--nodes" in capsys.readouterr().err


def test_a_missing_fixture_names_the_file(tmp_path: Path):
    with pytest.raises(bench_scale.StackError, match="node.prom"):
        bench_scale.load_fixture(tmp_path / "node.prom")
