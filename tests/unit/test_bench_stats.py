"""The A/B's validity rules and statistics, and the profile's attribution, on fixed inputs."""

import itertools
import json
import os
import random
import time

import pytest

from lavametrics.devtools import bench_node, bench_profile, bench_report, bench_stats, jfr, procs


def test_median_interval_is_the_sign_test_interval():
    # n = 6: only [min, max] reaches 95 % (coverage 1 - 2/64 = 96.9 %)
    lo, hi, coverage = bench_stats.median_ci([1.02, 0.99, 1.01, 1.00, 1.05, 0.98])
    assert (lo, hi) == (0.98, 1.05)
    assert coverage == pytest.approx(1 - 2 / 64)
    # n = 20: [x(6), x(15)], coverage 1 - 2 P(B <= 5) = 95.86 %
    values = [float(i) for i in range(20)]
    lo, hi, coverage = bench_stats.median_ci(values)
    assert (lo, hi) == (5.0, 14.0)
    assert coverage == pytest.approx(0.9586, abs=1e-4)


def test_no_interval_from_too_few_pairs():
    # 5 pairs: even [min, max] covers the median only with 1 - 2/32 = 93.75 %
    assert bench_stats.median_ci([1.0, 1.1, 0.9, 1.05, 0.95]) is None
    s = bench_stats.summarize_ratios([1.0, 1.1, 0.9, 1.05, 0.95])
    assert s.median == 1.0 and s.ci_high is None and s.half_width is None
    assert s.upper_below(1.05) is None
    assert not bench_stats.precise_enough(s, 0.5)


def test_interval_covers_the_median_at_least_as_often_as_it_says():
    # skewed ratios (a few spiky runs), the kind a busy machine gives: the interval must hold
    # its 95 % without any assumption of symmetry
    rng = random.Random(25)
    true_median = 1.01  # lognormal(0, 0.4) has median 1, so the ratios below have median 1.01
    hits = trials = 0
    for _ in range(2000):
        ratios = [1.01 + (rng.lognormvariate(0, 0.4) - 1.0) * 0.03 for _ in range(12)]
        lo, hi, _ = bench_stats.median_ci(ratios)
        trials += 1
        hits += lo <= true_median <= hi
    assert hits / trials >= 0.95


def test_target_ci_stops_only_when_the_interval_is_narrow_enough():
    wide = bench_stats.summarize_ratios([0.90, 0.95, 1.00, 1.02, 1.05, 1.10])
    assert wide.half_width == pytest.approx((1.01 - 0.90) / 1.01)  # the longer side
    assert not bench_stats.precise_enough(wide, 0.02)
    narrow = bench_stats.summarize_ratios([1.000, 1.005, 1.010, 1.010, 1.015, 1.020])
    assert bench_stats.precise_enough(narrow, 0.02)
    assert narrow.as_dict()["upper_below_1_05"] is True
    assert narrow.as_dict()["upper_below_1_01"] is False


def _run(**kw):
    run = {"frame_deficit_ratio": 0.002, "players_connected": 100, "silent_players": {}, "window_slices": 29}
    run.update(kw)
    return run


def test_a_run_that_delivered_its_workload_is_valid():
    assert bench_stats.invalid_reasons(_run(), 100) == []


def test_a_deficit_over_one_percent_makes_a_run_invalid():
    assert bench_stats.invalid_reasons(_run(frame_deficit_ratio=0.0101), 100) == ["frame deficit 1.01 % > 1 %"]
    assert bench_stats.invalid_reasons(_run(frame_deficit_ratio=0.0100), 100) == []


def test_players_not_streaming_through_the_window_make_a_run_invalid():
    reasons = bench_stats.invalid_reasons(_run(silent_players={"920001": 3, "920002": 1}), 100)
    assert reasons == ["2 of 100 players not streaming through the window (silent up to 3 of 29 one-second slices)"]
    assert bench_stats.invalid_reasons(_run(players_connected=97), 100) == [
        "3 of 100 players disconnected by the end of the window"
    ]


def test_a_node_that_never_settled_or_failed_is_invalid():
    assert bench_stats.invalid_reasons({"steady": False, "warmup_s": 61.0, "players_connected": 100}, 100) == [
        "never reached steady streaming in 61 s of warm-up"
    ]
    assert bench_stats.invalid_reasons({"error": "NodeError: exited"}, 100) == ["run failed: NodeError: exited"]


def test_a_player_is_silent_in_a_slice_below_half_its_frames():
    slices = [(1.0, {"a": 50, "b": 50}), (1.0, {"a": 25, "b": 24}), (2.0, {"a": 50})]
    # b: 24 < 25 in the second slice, and nothing in the third; a: 50 of 100 in a 2 s slice is 50 %
    assert bench_stats.silent_slices(slices, ["a", "b"]) == {"b": 2}


def test_poisson_interval_matches_the_tables():
    # Garwood's exact interval, as tabulated: 0 -> (0, 3.689), 19 -> (11.44, 29.67)
    assert bench_stats.poisson_ci(0) == (0.0, pytest.approx(3.689, abs=1e-3))
    low, high = bench_stats.poisson_ci(19)
    assert low == pytest.approx(11.44, abs=0.01) and high == pytest.approx(29.67, abs=0.01)


def test_frame_deficit_is_the_share_missing():
    assert bench_stats.frame_deficit(1000, 990) == pytest.approx(0.01)
    assert bench_stats.frame_deficit(1000, 1010) == 0.0
    assert bench_stats.frame_deficit(0, 0) == 0.0


def test_steady_needs_every_player_and_the_whole_workload():
    class FakeSampler(bench_node._Sampler):
        def __init__(self, slices):
            self.slices, self.guilds = slices, ["1", "2"]
            self._lock = __import__("threading").Lock()

    full = (1.0, {"1": 50, "2": 50})
    assert FakeSampler([full] * 5).steady(5, 2)
    assert not FakeSampler([full] * 4).steady(5, 2)  # not long enough yet
    assert not FakeSampler([full] * 4 + [(1.0, {"1": 50})]).steady(5, 2)  # one player silent
    assert not FakeSampler([(1.0, {"1": 49, "2": 48})] * 5).steady(5, 2)  # 3 % short


NMT = """
Native Memory Tracking:

(Omitting categories weighting less than 1KB)

Total: reserved=1932442KB, committed=512330KB
-                 Java Heap (reserved=393216KB, committed=110592KB)
                            (mmap: reserved=393216KB, committed=110592KB)

-                     Class (reserved=1050012KB, committed=12700KB)
                            (classes #15650)

-                    Thread (reserved=120934KB, committed=12450KB)
                            (thread #118)
-                      Code (reserved=248935KB, committed=30071KB)
-        Native Memory Tracking (reserved=3107KB, committed=3107KB)
"""


def test_native_memory_summary_is_read_by_category():
    nmt = bench_node.parse_native_memory(NMT)
    assert nmt == {
        "Total": 512330 * 1024,
        "Java Heap": 110592 * 1024,
        "Class": 12700 * 1024,
        "Thread": 12450 * 1024,
        "Code": 30071 * 1024,
        "Native Memory Tracking": 3107 * 1024,
    }


def _frame(cls):
    return {"method": {"type": {"name": cls.replace(".", "/")}, "name": "m"}}


def _event(kind, cls_stack, t="2026-12-06T19:03:02.500000000Z", weight=None):
    values = {"startTime": t, "stackTrace": {"frames": [_frame(c) for c in cls_stack]}}
    if weight is not None:
        values["weight"] = weight
    return {"type": kind, "values": values}


def test_profile_attributes_samples_and_allocation_to_the_plugin():
    t0 = jfr.event_time(_event("x", [], t="2026-12-06T19:03:02.000000000Z"))
    ex = "jdk.ExecutionSample"
    events = [
        _event(ex, ["dev.lavametrics.plugin.frames.FrameTally", "lavalink.server.player.LavalinkPlayer"]),
        _event(
            ex,
            [
                "java.util.HashMap",
                "dev.lavametrics.plugin.collect.FramesCollector",
                "io.prometheus.client.exporter.common.TextFormat",
            ],
        ),
        _event(ex, ["java.io.Writer", "io.prometheus.client.exporter.common.TextFormat"]),
        *[_event(ex, ["com.sedmelluq.discord.lavaplayer.Foo"])] * 6,
        # the stand-in node's own code is dev.lavametrics.standin: not the plugin
        _event(ex, ["dev.lavametrics.standin.PlayerImpl"]),
        _event(ex, ["dev.lavametrics.plugin.Late"], t="2026-12-06T19:03:09.000000000Z"),  # after the window
        _event("jdk.ObjectAllocationSample", ["dev.lavametrics.plugin.socket.OutgoingMessages"], weight=1000),
        _event("jdk.ObjectAllocationSample", ["com.sedmelluq.Foo"], weight=9000),
    ]
    r = bench_profile.classify(json.loads(json.dumps(events)), t0, t0 + 2.0, our_byte_share=0.5, node_cpu_seconds=1.0)
    assert r["execution_samples"] == 10
    assert r["plugin_samples"] == 2 and r["plugin_share"] == pytest.approx(0.2)
    # the writing sample without our frames is ours by our share of the bytes
    assert r["exposition_share_ours"] == pytest.approx(0.05)
    assert r["total_share"] == pytest.approx(0.25)
    # 2.5 samples of 10 ms against 1 s of node CPU
    assert r["plugin_cpu_share"] == pytest.approx(0.025)
    low, high = r["plugin_cpu_share_ci"]
    assert low < 0.025 < high
    assert r["plugin_alloc_share"] == pytest.approx(0.1)
    assert r["plugin_alloc_bytes_per_s"] == pytest.approx(500)


def _pair(i, ratio):
    return {
        "index": i,
        "order": "with first",
        "cpu_ratio": ratio,
        "heap_difference_bytes": 0,
        "rss_difference_bytes": 2**20,
    }


def test_report_prints_the_interval_the_verdicts_and_the_invalid_runs():
    pairs = [_pair(i, r) for i, r in enumerate([1.00, 1.01, 1.02, 1.00, 0.99, 1.03, 1.01], 1)]
    ab = {
        "pairs": pairs,
        "invalid_runs": [
            {"pair": 2, "attempt": 1, "plugin": False, "invalid_reasons": ["frame deficit 31.00 % > 1 %"]}
        ],
        "players": 100,
        "server": "stand-in node",
        "target_ci": 0.02,
        **bench_node._pair_summary(pairs, 0.95),
    }
    lines = bench_report.ab_lines(ab)
    assert lines[0].startswith(
        "node CPU with/without plugin (target <= 1.01): median 1.010, 95 % CI 0.990..1.030 (±2.0 %, coverage 98.4 %); "
        "upper bound < 1.05, >= 1.01; 7 valid pairs, 1 invalid runs; target ±2 % met"
    )
    assert lines[1] == "  invalid: pair 2 attempt 1, without plugin: frame deficit 31.00 % > 1 %"
    assert any(line.startswith("RSS with - without (target <= +16 MiB): median +1.0 MiB, 95 % CI") for line in lines)


def test_rss_outside_the_heap_takes_out_the_committed_heap_difference():
    pairs = []
    for i, (rss, heap) in enumerate([(20, 18), (-5, -6), (3, 2), (30, 29), (1, 0), (12, 11)], 1):
        p = _pair(i, 1.0)
        p["rss_difference_bytes"] = rss * 2**20
        p["native_memory_difference_bytes"] = {"Java Heap": heap * 2**20, "Class": 2**19}
        pairs.append(p)
    s = bench_node._pair_summary(pairs, 0.95)
    # every pair's RSS moved with its heap; 1-2 MiB is left outside it
    assert s["median_rss_outside_heap_difference_bytes"] == 2**20
    assert s["rss_outside_heap_difference_ci_bytes"][:2] == (2**20, 2 * 2**20)
    assert s["native_memory_difference_bytes"]["Class"] == 2**19


def test_thread_groups_drop_the_pool_number():
    assert procs.thread_group("lava-daemon-poo") == "lava-daemon-poo"
    assert procs.thread_group("XNIO-1 task-12") == "XNIO-1 task"
    assert procs.thread_group("C2 CompilerThre") == "C2 CompilerThre"
    assert procs.thread_group("GC Thread#3") == "GC Thread"
    assert procs.thread_group("pool-2-thread-7") == "pool-2-thread"
    assert procs.thread_group("42") == "42"  # a name that is only a number stays one


def test_thread_cpu_seconds_sees_a_busy_thread_of_this_process():
    import ctypes
    import threading

    spun, release = threading.Event(), threading.Event()

    def spin():
        # the kernel's name for this thread (Python 3.11 leaves the process's name on it)
        ctypes.CDLL(None).prctl(15, b"spinner-1", 0, 0, 0)  # PR_SET_NAME
        deadline = time.thread_time() + 0.2
        while time.thread_time() < deadline:
            pass
        spun.set()
        release.wait(30)  # alive until read: an ended thread leaves /proc/<pid>/task with its seconds

    before = procs.thread_cpu_seconds(os.getpid())
    t = threading.Thread(target=spin)
    t.start()
    try:
        assert spun.wait(30)
        after = procs.thread_cpu_seconds(os.getpid())
    finally:
        release.set()
        t.join()
    assert "spinner" not in before
    assert after["spinner"] >= 0.15  # /proc counts in clock ticks, thread_time() exactly


PERF_COUNTERS = """java.ci.totalTime=437604010
sun.ci.lastMethod="java/util/regex/Pattern skip"
sun.ci.totalBailouts=1
sun.ci.totalCompiles=946
sun.ci.totalInvalidates=3
sun.gc.collector.0.invocations=4
"""


def test_jit_counters_are_read_from_perf_counters():
    assert bench_node.parse_jit_counters(PERF_COUNTERS) == {
        "compile_ticks": 437604010,
        "bailouts": 1,
        "compiles": 946,
        "invalidations": 3,
    }


def _threaded_pair(i, with_groups, without_groups):
    p = _pair(i, 1.0)
    p["with"] = {"window_s": 10.0, "cpu_seconds_by_thread": with_groups}
    p["without"] = {"window_s": 20.0, "cpu_seconds_by_thread": without_groups}
    p["cpu_difference_by_thread_percent"] = bench_node.thread_differences(p["with"], p["without"])
    return p


def test_cpu_difference_by_thread_group_is_per_core_over_each_window():
    p = _threaded_pair(1, {"playback": 7.0, "C1 CompilerThre": 0.1}, {"playback": 13.0, "GC Thread": 0.2})
    # 70 % of a core with, 65 % without; a group on one side only counts as 0 on the other
    assert p["cpu_difference_by_thread_percent"] == {"C1 CompilerThre": 1.0, "GC Thread": -1.0, "playback": 5.0}


def test_thread_summary_keeps_groups_that_use_the_cpu_with_their_interval():
    pairs = [
        _threaded_pair(i, {"playback": 7.0 + d, "idle": 0.001}, {"playback": 14.0})
        for i, d in enumerate([0.0, 0.1, -0.1, 0.2, 0.05, -0.05], 1)
    ]
    s = bench_node._pair_summary(pairs, 0.95)["cpu_by_thread"]
    assert set(s) == {"playback"}  # "idle" is under the floor on both sides
    assert s["playback"]["without_percent"] == 70.0
    assert s["playback"]["median_difference_percent"] == 0.25
    low, high, coverage = s["playback"]["difference_ci_percent"]
    assert (low, high) == (-1.0, 2.0) and coverage >= 0.95
    lines = bench_report.ab_lines(
        {"players": 100, "server": "x", "pairs": pairs, **bench_node._pair_summary(pairs, 0.95)}
    )
    assert any(line.strip().startswith("playback") and "[-1.0, +2.0]" in line for line in lines)


def test_ab_chart_draws_with_an_interval(tmp_path):
    pytest.importorskip("matplotlib")
    pairs = [_pair(i, r) for i, r in zip(itertools.count(1), [1.0, 1.02, 0.99, 1.01, 1.0, 1.03])]
    for p in pairs:
        p["with"] = {"cpu_percent": 100.0}
        p["without"] = {"cpu_percent": 99.0}
    ab = {"pairs": pairs, "players": 100, "seconds": 30, "server": "x", **bench_node._pair_summary(pairs, 0.95)}
    bench_report.ab_chart(ab, tmp_path / "ab.png")
    assert (tmp_path / "ab.png").stat().st_size > 1000


class _FakeSim:
    def __init__(self, **kw):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def _fake_runs(monkeypatch, script):
    """ab() with run_once replaced: `script` yields, per call, (cpu_seconds, reasons)."""
    calls = []

    def run_once(plugin, sim, audio, **kw):
        cpu, reasons = next(script)
        calls.append(plugin)
        return {
            "plugin": plugin,
            "server": "fake",
            "cpu_seconds": cpu,
            "cpu_percent": cpu * 100 / 30,
            "heap_used_bytes": 0,
            "rss_bytes": 0,
            "frame_deficit_ratio": 0.0,
            "warmup_s": 15.0,
            "per_second": [],
            "invalid_reasons": reasons,
            "valid": not reasons,
        }

    monkeypatch.setattr(bench_node, "VoiceSimulator", _FakeSim)
    monkeypatch.setattr(bench_node, "write_tone", lambda path, seconds: path)
    monkeypatch.setattr(bench_node, "run_once", run_once)
    return calls


def test_an_invalid_run_is_repeated_listed_and_never_averaged_in(monkeypatch):
    broken = ["frame deficit 31.00 % > 1 %"]
    script = iter(
        [
            (33.0, broken),  # pair 1, with: broken (its CPU would pull the ratio down to 0.85)
            (39.0, []),  # pair 1, with: repeated, valid
            (39.0, []),  # pair 1, without
            (39.0, broken),  # pair 2, without (B first): broken, then broken again: pair dropped
            (39.0, broken),
        ]
    )
    calls = _fake_runs(monkeypatch, script)
    r = bench_node.ab(pairs=2, retries=1, nmt=False)
    assert calls == [True, True, False, False, False]
    assert [p["cpu_ratio"] for p in r["pairs"]] == [1.0]
    assert [(x["pair"], x["attempt"], x["plugin"]) for x in r["invalid_runs"]] == [
        (1, 1, True),
        (2, 1, False),
        (2, 2, False),
    ]
    assert all(x["invalid_reasons"] == broken for x in r["invalid_runs"])
    assert r["cpu_ratio"]["median"] == 1.0 and r["cpu_ratio"]["ci_low"] is None


def test_target_ci_adds_pairs_until_the_interval_is_narrow_enough(monkeypatch):
    # ratios 1.00, 1.01, ...: with 6 pairs the interval is [min, max] = ±2.5 % around 1.025,
    # too wide for ±2 %; the 7th pair does not help either (still [min, max]); the budget ends it
    cpus = []
    for i in range(10):
        cpus += [(30.0 * (1 + i / 100), []), (30.0, [])] if i % 2 == 0 else [(30.0, []), (30.0 * (1 + i / 100), [])]
    _fake_runs(monkeypatch, iter(cpus))
    r = bench_node.ab(pairs=6, max_pairs=8, target_ci=0.02, nmt=False)
    assert len(r["pairs"]) == 8
    assert r["cpu_ratio"]["half_width"] > 0.02
    # ratios within ±1 % (1.01 and 0.99 as the order alternates) stop at the minimum of 6 pairs
    _fake_runs(monkeypatch, iter([(30.3, []), (30.0, [])] * 10))
    r = bench_node.ab(pairs=6, max_pairs=30, target_ci=0.02, nmt=False)
    assert len(r["pairs"]) == 6
    assert r["cpu_ratio"]["half_width"] == pytest.approx(0.01, abs=1e-3)


def test_interleaved_rounds_alternate_which_node_goes_first():
    assert bench_stats.interleaved_order(4) == [
        ("with", "without"),
        ("without", "with"),
        ("with", "without"),
        ("without", "with"),
    ]


def test_interleaved_scrapes_pair_round_i_of_both_nodes():
    asked = []

    def fake_scrape(url):
        asked.append(url)
        body = b'lavametrics_collector_duration_seconds{group="players"} 0.002\n' if url == "A" else b"x 1\n"
        return (0.010 if url == "A" else 0.005) * (1 + len(asked) / 100), body

    out = bench_node.interleaved_scrapes({"with": "A", "without": "B"}, 3, 0.0, scrape=fake_scrape)
    assert asked == ["A", "B", "B", "A", "A", "B"]
    assert len(out["with"]["latencies"]) == len(out["without"]["latencies"]) == 3
    assert out["with"]["collections"] == [0.002] * 3 and out["without"]["collections"] == []
    assert all(a <= b for a, b in zip(out["with"]["starts"], out["with"]["starts"][1:]))


def test_block_ratios_compare_the_same_stretch_of_rounds():
    # B is steady at 10 ms; A is 12 ms except one slow scrape in the second block
    a = [0.012] * 20
    a[13] = 0.100
    b = [0.010] * 20
    assert bench_stats.block_ratios(a, b, 2, q=0.99) == pytest.approx([1.2, 10.0])
    # rounds that do not fill a block are left out, not folded into the last one
    assert bench_stats.block_ratios(a[:21] + [1.0], b + [0.001], 2) == pytest.approx([1.2, 10.0])
    assert bench_stats.block_ratios(a[:3], b[:3], 5) == []
    with pytest.raises(ValueError, match="paired rounds"):
        bench_stats.block_ratios(a, b[:-1], 2)


def test_quantile_ratio_gives_an_interval_only_from_enough_blocks():
    rng = random.Random(23)
    b = [rng.uniform(0.009, 0.011) for _ in range(600)]
    a = [x * 1.5 for x in b]
    r = bench_stats.quantile_ratio(a, b, 0.99, blocks=10)
    assert r["ratio"] == pytest.approx(1.5)
    assert r["blocks"] == 10 and r["ci_low"] == pytest.approx(1.5) and r["ci_high"] == pytest.approx(1.5)
    few = bench_stats.quantile_ratio(a, b, 0.99, blocks=5)
    assert few["median"] == pytest.approx(1.5) and few["ci_low"] is None
    assert bench_stats.percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def _on(thread, kind, classes, t="2026-12-06T19:03:02.500000000Z", weight=None):
    event = _event(kind, classes, t=t, weight=weight)
    event["values"]["sampledThread" if kind == "jdk.ExecutionSample" else "eventThread"] = {"javaName": thread}
    return event


def test_scrape_samples_are_split_into_collection_writing_and_serving():
    t0 = jfr.event_time(_event("x", [], t="2026-12-06T19:03:02.000000000Z"))
    ex, req = "jdk.ExecutionSample", "http-nio-2333-exec-1"
    enum, text = jfr.COLLECTING, "io.prometheus.client.exporter.common.TextFormat"
    events = [
        # our collect() under the registry's enumeration, under TextFormat's loop
        _on(req, ex, ["java.util.ArrayList", "dev.lavametrics.plugin.collect.CounterArray", enum, text]),
        _on(req, ex, ["dev.lavametrics.plugin.collect.VoiceCollector", enum, text]),
        # core's collectors: simpleclient's hotspot ones are library code, still core's
        _on(req, ex, ["io.prometheus.client.hotspot.ThreadExports", enum, text]),
        # writing: no collector below, split by bytes
        _on(req, ex, ["java.io.StringWriter", text, "lavalink.server.metrics.PrometheusMetricsController"]),
        _on(req, ex, ["java.io.StringWriter", text, "lavalink.server.metrics.PrometheusMetricsController"]),
        # the plugin's filter around the request, and the rest of serving it
        _on(req, ex, ["dev.lavametrics.plugin.rest.RequestBodyMetricsFilter", "org.apache.catalina.X"]),
        *[_on(req, ex, ["org.springframework.web.Foo"])] * 4,
        # other threads are not the scrape, and neither is what happens outside the window
        _on("lava-daemon-pool-1", ex, ["com.sedmelluq.Foo"]),
        _on(req, ex, ["dev.lavametrics.plugin.Late", enum], t="2026-12-06T19:03:09.000000000Z"),
        _on(req, "jdk.ObjectAllocationSample", ["dev.lavametrics.plugin.collect.CounterArray", enum], weight=4000),
        _on(req, "jdk.ObjectAllocationSample", ["java.io.StringWriter", text], weight=2000),
        {
            "type": "jdk.GarbageCollection",
            "values": {"startTime": "2026-12-06T19:03:03.000Z", "sumOfPauses": "PT0.02S"},
        },
    ]
    r = jfr.scrape_shares(json.loads(json.dumps(events)), t0, t0 + 2.0, our_byte_share=0.25, scrapes=2)
    assert r["scrape_samples"] == 10
    assert r["java_cpu_ms_per_scrape"] == pytest.approx(50.0)  # 10 samples of 10 ms over 2 scrapes
    assert r["shares"] == pytest.approx(
        {
            "our_collect": 0.2,
            "core_collect": 0.1,
            "writing_ours": 0.05,
            "writing_core": 0.15,
            "our_http": 0.1,
            "serving": 0.4,
        }
    )
    assert r["plugin_share"] == pytest.approx(0.35)
    assert r["alloc_bytes_per_scrape"]["our_collect"] == 2000
    assert r["alloc_bytes_per_scrape"]["writing_ours"] == 250
    assert r["gc_pauses"] == 1 and r["gc_pause_share"] == pytest.approx(0.01)


def test_slow_scrapes_are_matched_against_collections():
    pauses = jfr.gc_pauses(
        [{"type": "jdk.GarbageCollection", "values": {"startTime": "2026-12-06T19:03:02.000Z", "duration": "PT0.05S"}}]
    )
    t = jfr.event_time({"values": {"startTime": "2026-12-06T19:03:02.000Z"}})
    assert pauses == [(t, pytest.approx(t + 0.05))]
    starts = [t - 1.0 + 0.1 * i for i in range(20)]  # the scrape at index 10 starts with the pause
    latencies = [0.01] * 20
    latencies[10] = 0.06
    latencies[9] = 0.09  # slow, but over before the pause begins (starts at t - 0.1)
    r = jfr.slow_in_gc(starts, latencies, pauses, q=0.95)
    assert r == {"scrapes": 20, "in_gc": 1, "slow": 2, "slow_in_gc": 1}
    assert jfr._seconds("PT1M2.5S") == pytest.approx(62.5) and jfr._seconds(None) == 0.0


def test_cpu_burn_runs_its_processes_until_it_is_left():
    with bench_node.CpuBurn(2) as burn:
        assert len(burn.pids) == 2
        deadline = time.monotonic() + 60
        while min(procs.cpu_seconds(pid) for pid in burn.pids) < 0.05 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert min(procs.cpu_seconds(pid) for pid in burn.pids) >= 0.05
        pids = list(burn.pids)
    for pid in pids:
        with pytest.raises(OSError):
            procs.cpu_seconds(pid)


def test_a_failed_run_says_where_it_stopped_and_keeps_the_nodes_threads(monkeypatch, tmp_path):
    import socket
    from types import SimpleNamespace

    with socket.socket() as s:  # a port nothing listens on: the session cannot open
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stopped = []
    node = SimpleNamespace(
        server=SimpleNamespace(is_real_lavalink=False),
        process=SimpleNamespace(pid=os.getpid()),
        url=f"http://127.0.0.1:{port}",
        password="x",
        thread_dump=lambda: '"main" #1 prio=5 ... java.lang.Thread.State: WAITING',
        stop=lambda: stopped.append(True),
    )
    monkeypatch.setattr(bench_node, "start_node", lambda **kw: node)
    sim = SimpleNamespace(jvm_args=lambda: [], stats=lambda: {"1": {"connected": True}, "2": {}})
    run = bench_node.run_once(True, sim, tmp_path / "tone.wav", players=2, seconds=1, warmup=1)
    assert not run["valid"] and stopped == [True]
    assert run["error"].startswith("opening the session: SessionError")
    assert run["invalid_reasons"] == [f"run failed: {run['error']}"]
    assert run["players_connected"] == 1
    assert run["thread_dump"].startswith('"main"')
