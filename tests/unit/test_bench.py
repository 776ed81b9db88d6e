"""The measuring parts of the benchmarks (the benchmarks themselves run with `make bench`)."""

import json
import os
import time

from lavametrics.devtools import bench_bot, bench_merge, bench_node, bench_report, procs
from lavametrics.exposition.parse import parse


def test_cpu_seconds_counts_this_process_working():
    before = procs.cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert procs.cpu_seconds(os.getpid()) - before >= 0.1


def test_rss_is_this_process_resident_size():
    sizes = procs.memory_bytes(os.getpid())
    assert 10 * 2**20 < sizes["VmRSS"] <= sizes["VmHWM"] < 4 * 2**30


def test_our_bytes_are_the_lavametrics_lines():
    body = (
        b'# HELP lavametrics_info x\n# TYPE lavametrics_info gauge\nlavametrics_info{version="1"} 1.0\n'
        b"# HELP lavalink_players x\n# TYPE lavalink_players gauge\nlavalink_players 3.0\n"
    )
    ours, core = bench_node._split_bytes(body)
    assert ours == len(b'# HELP lavametrics_info x\n# TYPE lavametrics_info gauge\nlavametrics_info{version="1"} 1.0\n')
    assert ours + core == len(body)


def test_synthetic_bodies_with_a_seed_change_values_not_series():
    a, b = (parse(bench_merge.synthetic_exposition(200, seed=s).decode()) for s in (1, 2))
    keys = lambda fams: [(s.name, tuple(sorted(s.labels.items()))) for f in fams for s in f.samples]  # noqa: E731
    assert keys(a) == keys(b)
    assert [s.value for f in a for s in f.samples] != [s.value for f in b for s in f.samples]
    assert any("E" in line for line in bench_merge.synthetic_exposition(2000, seed=3).decode().splitlines())


def test_java_spelling_reads_back_as_the_value():
    for value in (12345678.0, 1.5e9, 99.0):
        assert float(bench_merge._java_double(value)) == value


def test_instrumentation_is_measured_against_the_bare_handler():
    result = bench_bot.per_command(calls=2000, rounds=1)
    assert set(result["overhead_us"]) == {"sync_command", "sync_time_command", "async_command", "async_time_command"}
    assert all(result["us_per_call"][name] > 0 for name in result["us_per_call"])


def test_report_names_every_target_it_has_results_for(tmp_path):
    (tmp_path / "bot.json").write_text(
        json.dumps(
            {
                "per_command": {"overhead_us": {"sync_command": 1.25}},
                "bot_loop": {"rate_per_s": 2000, "median_difference_points": 0.5},
            }
        )
    )
    lines = bench_report.summary(tmp_path)
    assert lines == [
        "BotMetrics per command (target < 2 us): sync_command +1.25 us",
        "bot loop 2000 commands/s (target < 1 point of CPU): median +0.50 points",
    ]


def test_adapters_are_measured_against_the_same_library_without_them():
    result = bench_bot.adapters(calls=200, rounds=6)
    assert set(result["overhead_us"]) == {"wavelink_event", "discord_prefix_command", "discord_slash_command"}
    assert all(result["bare_us"][name] > 0 for name in result["bare_us"])
    # 6 pairs are the fewest with a 95 % interval for their median
    assert all(low <= hi for low, hi in result["overhead_ci95_us"].values())
    assert len(result["load_average"]) == 3


def test_report_shows_the_adapters_against_their_targets(tmp_path):
    (tmp_path / "bot.json").write_text(
        json.dumps(
            {
                "per_command": {"overhead_us": {}},
                "bot_loop": {"rate_per_s": 2000, "median_difference_points": 0.5},
                "adapters": {
                    "rounds": 21,
                    "overhead_us": {
                        "discord_prefix_command": 1.5,
                        "discord_slash_command": 1.25,
                        "wavelink_event": 0.5,
                    },
                    "overhead_ci95_us": {
                        "discord_prefix_command": [1.25, 1.75],
                        "discord_slash_command": [1.0, 1.5],
                        "wavelink_event": None,
                    },
                },
            }
        )
    )
    assert bench_report.summary(tmp_path)[-1] == (
        "library adapters (targets: < 2 us per command, < 1 us per track event; median of 21 pairs, "
        "95 % interval): discord.py prefix command +1.50 us [+1.25, +1.75], "
        "slash command +1.25 us [+1.00, +1.50], wavelink track event +0.50 us"
    )
