"""The plugin's share of a node from a JFR profile: ``python -m lavametrics.devtools.bench_profile``.

An A/B of CPU seconds cannot see a cost far below the machine's noise; a profile can. The node
runs with JDK 17's built-in Flight Recorder from its start (``-XX:StartFlightRecording`` with
the JDK's ``profile`` settings: ``jdk.ExecutionSample`` every 10 ms, ``jdk.ObjectAllocationSample``
throttled to 300/s), the usual bench workload plays (players streaming to the voice simulator,
loads, REST calls, a scrape every 5 s), and after the warm-up the recording is dumped and read
with the JDK's ``jfr print --json``; only events inside the measured window count.

Per player count it reports, of the Java execution samples in the window:

- ``plugin_share``: samples charged to ``dev.lavametrics.plugin.*``: its innermost frame outside
  the shared libraries (JDK, Kotlin, simpleclient, Jackson) is ours. That is our own code and the
  library code it calls (the per-frame tally, the event hooks' JSON reading, the REST
  interceptor, our collect() under a scrape), but not the node's code running under a plugin
  frame (Lavalink's request handling under our servlet filter, lavaplayer's buffer under our
  counting wrapper);
- ``exposition_share_ours``: the scrape work done for our families: our collect() (already in
  ``plugin_share``) plus simpleclient's text writing, which serves every family in one loop and
  so is attributed to ours by our share of the exposition's bytes;
- ``total_share``: both together, as a share of the Java execution samples;

and, from the allocation samples (each weighted by the bytes it stands for), the bytes per
second allocated under ``dev.lavametrics.*`` frames and their share of the node's.

Execution samples are taken only from threads running Java code, so GC, JIT, native Opus
encoding, UDP sends and the kernel are outside that denominator: the share of samples is of the
node's Java CPU, an upper bound on the share of its whole CPU. ``plugin_cpu_share`` is the
estimate against the whole: our samples times the 10 ms sampling period, over the node's CPU
seconds in the window from /proc (JFR samples up to 5 Java threads per period, more than a
2-core machine runs at once). The <= 1 % target is judged by that estimate, with the share of
samples beside it.

At 1,000 players, ``--stream-max`` (100) of them stream and the rest hold a loaded track paused,
as in ``bench_node scrape``: 1,000 streams do not fit a 2-core machine with the Python
simulator receiving them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lavametrics.devtools import bench_node, bench_stats, jfr, procs
from lavametrics.devtools.node import jcmd, start_node
from lavametrics.devtools.voicelink import connect_and_play, rewind
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession


def classify(
    events: Iterable[Mapping], t0: float, t1: float, our_byte_share: float, node_cpu_seconds: float | None = None
) -> dict[str, Any]:
    """Shares of CPU samples and allocation inside [t0, t1] (epoch seconds); see the module doc."""
    samples = plugin = writing_other = 0
    alloc_total = alloc_plugin = 0.0
    for event in events:
        kind = event.get("type")
        if kind not in ("jdk.ExecutionSample", "jdk.ObjectAllocationSample"):
            continue
        if not t0 <= jfr.event_time(event) <= t1:
            continue
        classes = jfr.frames(event)
        charged_to = jfr.owner(classes)
        ours = charged_to is not None and charged_to.startswith(jfr.PLUGIN_PREFIX)
        if kind == "jdk.ExecutionSample":
            samples += 1
            if ours:
                plugin += 1
            elif any(c in jfr.WRITER_CLASSES for c in classes):
                writing_other += 1
        else:
            weight = float((event.get("values") or {}).get("weight") or 0)
            alloc_total += weight
            if ours:
                alloc_plugin += weight
    window = max(t1 - t0, 1e-9)
    plugin_share = plugin / samples if samples else 0.0
    writing_ours = writing_other * our_byte_share / samples if samples else 0.0
    charged = plugin + writing_other * our_byte_share
    ours_cpu = charged * jfr.SAMPLE_PERIOD_S
    # a few dozen samples are a count, not a measurement: give its 95 % interval too
    low, high = bench_stats.poisson_ci(charged)
    return {
        "plugin_cpu_seconds": ours_cpu,
        "plugin_cpu_share": ours_cpu / node_cpu_seconds if node_cpu_seconds else None,
        "plugin_cpu_share_ci": (
            (low * jfr.SAMPLE_PERIOD_S / node_cpu_seconds, high * jfr.SAMPLE_PERIOD_S / node_cpu_seconds)
            if node_cpu_seconds
            else None
        ),
        "execution_samples": samples,
        "plugin_samples": plugin,
        "writing_samples": writing_other,
        "plugin_share": plugin_share,
        "exposition_share_ours": writing_ours,
        "total_share": plugin_share + writing_ours,
        "alloc_bytes_per_s": alloc_total / window,
        "plugin_alloc_bytes_per_s": alloc_plugin / window,
        "plugin_alloc_share": alloc_plugin / alloc_total if alloc_total else 0.0,
    }


def profile_once(
    sim: VoiceSimulator,
    audio: Path,
    *,
    players: int,
    stream_max: int,
    seconds: float,
    warmup: float,
    keep: Path | None = None,
) -> dict[str, Any]:
    streaming = min(players, stream_max)
    with tempfile.TemporaryDirectory(prefix="lavametrics-bench-profile-") as workdir:
        recording = Path(workdir) / "node.jfr"
        node = start_node(
            workdir=Path(workdir), plugin=True, jvm_args=[*sim.jvm_args(), *jfr.jfr_flags(recording)], timeout=180
        )
        try:
            assert node.process is not None
            pid = node.process.pid
            guilds = list(range(bench_node.FIRST_GUILD, bench_node.FIRST_GUILD + streaming))
            with LavalinkSession(node.url, node.password, client_name="lavametrics-bench", timeout=60) as session:
                track = connect_and_play(session, sim, guilds, str(audio), timeout=120)
                rewind(session, guilds)  # the tone then lasts every stream (see voicelink.rewind)
                for guild in range(bench_node.FIRST_GUILD + streaming, bench_node.FIRST_GUILD + players):
                    session.update_player(guild, {"track": {"encoded": track["encoded"]}, "paused": True})
                with bench_node._Sampler(pid, sim, guilds) as sampler, bench_node._Traffic(node, str(audio), guilds):
                    _, steady = bench_node.warm_up(sampler, streaming, warmup, 4 * warmup)
                    t0, c0 = time.time(), procs.cpu_seconds(pid)
                    time.sleep(seconds)
                    t1, c1 = time.time(), procs.cpu_seconds(pid)
                    with urllib.request.urlopen(node.metrics_url, timeout=30) as resp:
                        ours, core = bench_node._split_bytes(resp.read())
                    subprocess.run(
                        [jcmd(), str(pid), "JFR.dump", f"name={jfr.RECORDING}", f"filename={recording}"],
                        check=True,
                        capture_output=True,
                        timeout=120,
                    )
            events = jfr.read_recording(recording)
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy2(recording, keep / f"node-{players}-players.jfr")
        finally:
            node.stop()
    share = ours / (ours + core) if ours + core else 0.0
    return {
        "players": players,
        "streaming": streaming,
        "server": bench_node._server_name(node),
        "steady": steady,
        "window_s": t1 - t0,
        "window_epoch": (t0, t1),  # to read a kept recording again over the same window
        "node_cpu_percent": 100 * (c1 - c0) / (t1 - t0),
        "our_byte_share": share,
        **classify(events, t0, t1, share, c1 - c0),
    }


def profile(
    player_counts=(100, 1000),
    *,
    stream_max: int = 100,
    seconds: float = 60.0,
    warmup: float = bench_node.AB_WARMUP,
    keep: Path | None = None,
) -> dict:
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-sim-") as sim_dir,
        VoiceSimulator(workdir=Path(sim_dir)) as sim,
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-audio-") as audio_dir,
    ):
        audio = write_tone(Path(audio_dir) / "profile.wav", seconds=120 + 4 * warmup + seconds + 60)
        for players in player_counts:
            results.append(
                profile_once(
                    sim, audio, players=players, stream_max=stream_max, seconds=seconds, warmup=warmup, keep=keep
                )
            )
    return {"seconds": seconds, "warmup": warmup, "results": results}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lavametrics.devtools.bench_profile")
    ap.add_argument("--players", default="100,1000", help="comma-separated player counts")
    ap.add_argument("--stream-max", type=int, default=100, help="players that stream; the rest are paused")
    ap.add_argument("--seconds", type=float, default=60.0, help="profiled window")
    ap.add_argument(
        "--warmup",
        type=float,
        default=bench_node.AB_WARMUP,
        help="minimum warm-up before the window, seconds (the A/B's: the plugin's code compiled, as it runs for good)",
    )
    ap.add_argument("--keep", help="copy each JFR recording into this directory (for JMC or `jfr print`)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    r = profile(
        tuple(int(c) for c in a.players.split(",")),
        stream_max=a.stream_max,
        seconds=a.seconds,
        warmup=a.warmup,
        keep=Path(a.keep) if a.keep else None,
    )
    if a.json:
        print(json.dumps(r, indent=2))
        return 0
    from lavametrics.devtools.bench_report import profile_lines

    for line in profile_lines(r):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
