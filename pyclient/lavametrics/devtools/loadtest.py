"""`lavametrics loadtest`: N simulated guilds streaming from one node, no Discord needed.

Each second it samples the node (CPU, /v4/stats for memory, the plugin's frame counters on
/metrics) and the voice simulator (RTP packets received), so an operator sees what N players
cost and whether the node keeps up: frames sent should track 50 per player per second with
nulled and deficit near zero, and packets received should equal frames sent.

The node's CPU is the JVM's own CPU time from /proc when the node runs here (its pid: given, or
the node ``--start-node`` started), as ``make bench`` measures it: /v4/stats cannot say what one
second cost, because Lavalink refreshes its cpu numbers at most every 30 s and reads 0.0 until
the second refresh (measured on 4.1.2 and 4.2.2; the stand-in does the same). For a node
elsewhere the report uses /v4/stats and says so.

Frames the plugin counted are not on the wire yet: Lavalink's voice client pulls frames ahead
into its send queue (Koe's udpqueue buffer, `bufferDurationMs`, 400 ms = 20 frames per player by
default), so when the window closes some frames are counted as sent but still queued. The run
therefore ends with a drain: every player is paused, the queue empties into the simulator, and
the totals are taken once packets stop arriving. The frames that were still queued when the
window closed are reported apart (`queued_at_stop`), and the five Opus silence frames the voice
client sends after each stream stops (Koe's SILENCE_FRAME_COUNT) are not counted as audio.

Players connect one after another and each starts streaming when its own handshake completes,
so once all are connected every player is rewound to the top of the tone: without that, the
first players' tone could run out inside the measurement (one slow handshake is enough), and
the report would blame the node for frames nobody asked it to send. Each sample also counts the
players actually streaming (at least half their 50 frames in that second), not only those the
voice gateway calls connected.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lavametrics.config import catalog
from lavametrics.devtools import bench_stats, procs
from lavametrics.devtools.voicelink import connect_and_play, rewind
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.rest import LavalinkClient
from lavametrics.lavalink.session import LavalinkSession
from lavametrics.monitor.scrape import scrape

# the sample names of the node-wide frame counters: sent, nulled, deficit (in that order)
FRAME_COUNTERS = tuple(
    catalog.packaged().family(name).name for name in ("frames_sent", "frames_nulled", "frames_deficit")
)
FIRST_GUILD = 910_000
# Opus silence frames the voice client sends when a stream stops (Koe's AbstractOpusFramePoller,
# the stand-in's voice client alike): packets the simulator counts that are not lavaplayer frames
SILENCE_FRAMES_PER_STOP = 5


# where the CPU numbers come from, as the report tells it
CPU_FROM_PROC = "the JVM's CPU time in /proc/{pid}/stat, over all {cores} cores"
CPU_FROM_STATS = (
    "/v4/stats cpu.lavalinkLoad: refreshed at most every 30 s, 0.0 until its second refresh "
    "(give --node-pid or --start-node for the JVM's own CPU)"
)


class ProcCpu:
    """The node process's share of all cores over each interval, from its CPU time in /proc."""

    def __init__(self, pid: int):
        self.pid, self.cores = pid, os.cpu_count() or 1
        self._last = (time.monotonic(), procs.cpu_seconds(pid))

    def share(self) -> float:
        now, cpu = time.monotonic(), procs.cpu_seconds(self.pid)
        (then, before), self._last = self._last, (now, cpu)
        return (cpu - before) / (now - then) / self.cores if now > then else 0.0

    def source(self) -> str:
        return CPU_FROM_PROC.format(pid=self.pid, cores=self.cores)


@dataclass
class Sample:
    elapsed_s: float
    cpu_lavalink: float  # 0..1, the node process's share of all cores (Report.cpu_source says whence)
    memory_used_bytes: int
    frames_sent_per_s: float
    frames_nulled_per_s: float
    frames_deficit_per_s: float
    packets_received_per_s: float
    # players whose own stream delivered at least half its 50 frames/s in this second: the
    # gateway says "connected" for a player whose track has ended, this does not
    players_streaming: int = 0


@dataclass
class Report:
    players: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    frames_sent: float = 0  # from before the first connect to the end of the drain
    packets_received: int = 0  # audio packets over the same span (silence frames left out)
    connected_players: int = 0
    queued_at_stop: float = 0  # counted as sent when the window closed, delivered by the drain
    drained: bool = True  # packets stopped arriving after the pause (else the totals are early)
    cpu_source: str = CPU_FROM_STATS

    def mean(self, name: str) -> float:
        steady = self.samples[1:] or self.samples  # the first second includes connecting
        return sum(getattr(s, name) for s in steady) / len(steady) if steady else 0.0

    def as_dict(self) -> dict:
        summary: dict[str, float | None] = {
            name: round(self.mean(name), 3)
            for name in (
                "cpu_lavalink",
                "frames_sent_per_s",
                "frames_nulled_per_s",
                "frames_deficit_per_s",
                "packets_received_per_s",
            )
        }
        summary["memory_used_bytes_max"] = max((s.memory_used_bytes for s in self.samples), default=0)
        summary["delivery_ratio"] = round(self.packets_received / self.frames_sent, 4) if self.frames_sent else None
        return {
            "players": self.players,
            "seconds": self.seconds,
            "connected_players": self.connected_players,
            "frames_sent": self.frames_sent,
            "packets_received": self.packets_received,
            "queued_at_stop": self.queued_at_stop,
            "drained": self.drained,
            "cpu_source": self.cpu_source,
            "summary": summary,
            "samples": [asdict(s) for s in self.samples],
        }


def frame_counters(metrics_url: str) -> dict[str, float]:
    """The plugin's node-wide frame counters (0 for a counter the node does not export)."""
    found = dict.fromkeys(FRAME_COUNTERS, 0.0)
    for family in scrape(metrics_url, timeout=10).families:
        for sample in family.samples:
            if sample.name in found:
                found[sample.name] += sample.value
    return found


@dataclass
class Drained:
    frames_sent: float  # the plugin's node-wide counter after the drain
    packets: int  # everything the simulator received, silence frames included
    silence: int  # of those, the voice client's silence frames after the pause
    settled: bool  # False when packets were still arriving at the deadline


def drain(
    session: LavalinkSession,
    sim: VoiceSimulator,
    guilds,
    metrics_url: str,
    *,
    quiet: float = 0.5,
    timeout: float = 10.0,
) -> Drained:
    """Pause every guild's player and wait until the simulator stops receiving: the node's send
    queue is then empty, so frames counted and packets received describe the same frames."""
    streaming = sum(1 for g, st in sim.stats().items() if st.get("connected") and int(g) in set(guilds))
    for guild in guilds:
        session.update_player(guild, {"paused": True})
    deadline = time.monotonic() + timeout
    last = sim.totals()["packets"]
    settled = False
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = sim.totals()["packets"]
        if now == last:
            settled = True
            break
        last = now
    return Drained(frames_counted(metrics_url), last, SILENCE_FRAMES_PER_STOP * streaming, settled)


def frames_counted(metrics_url: str) -> float:
    return frame_counters(metrics_url)[FRAME_COUNTERS[0]]


def run(
    url: str,
    password: str,
    sim: VoiceSimulator,
    *,
    players: int,
    seconds: float,
    audio: str | Path,
    metrics_url: str | None = None,
    progress: Callable[[Sample, int], None] | None = None,
    node_pid: int | None = None,
) -> Report:
    """Stream `audio` to `players` guilds for `seconds`, sampling once a second, then drain and total.
    ``node_pid``: the node's process on this machine, whose CPU is then read from /proc."""
    metrics_url = metrics_url or url.rstrip("/") + "/metrics"
    node = LavalinkClient(url, password, timeout=10)
    report = Report(players=players, seconds=seconds)
    jvm_cpu = ProcCpu(node_pid) if node_pid is not None else None
    if jvm_cpu is not None:
        report.cpu_source = jvm_cpu.source()
    guilds = range(FIRST_GUILD, FIRST_GUILD + players)
    with LavalinkSession(url, password, client_name="lavametrics-loadtest", timeout=30) as session:
        # totals from before the first frame, so nothing queued at the start is left out of either side
        base_frames, base_packets = frames_counted(metrics_url), sim.totals()["packets"]
        connect_and_play(session, sim, guilds, str(audio), timeout=60)
        # the first players have been playing for as long as connecting took: rewind them all,
        # so the tone (sized for the measurement) lasts every stream to the end of it
        rewind(session, guilds)
        start = time.monotonic()
        if jvm_cpu is not None:
            jvm_cpu.share()  # the measurement starts here, not with connecting
        last_t, last_frames, last_packets = start, frame_counters(metrics_url), sim.totals()["packets"]
        last_by_guild = sim.packets_by_guild()
        while time.monotonic() - start < seconds:
            time.sleep(max(0.0, 1.0 - (time.monotonic() - last_t)))
            now = time.monotonic()
            stats = node.stats()
            frames, packets = frame_counters(metrics_url), sim.totals()["packets"]
            by_guild = sim.packets_by_guild()
            dt = now - last_t
            floor = bench_stats.MIN_SLICE_SHARE * 50 * dt  # the benchmarks' rule for "streaming"
            streaming = sum(1 for g in guilds if by_guild.get(str(g), 0) - last_by_guild.get(str(g), 0) >= floor)
            sample = Sample(
                elapsed_s=round(now - start, 2),
                cpu_lavalink=(
                    jvm_cpu.share() if jvm_cpu is not None else float(stats.get("cpu", {}).get("lavalinkLoad", 0.0))
                ),
                memory_used_bytes=int(stats.get("memory", {}).get("used", 0)),
                frames_sent_per_s=(frames[FRAME_COUNTERS[0]] - last_frames[FRAME_COUNTERS[0]]) / dt,
                frames_nulled_per_s=(frames[FRAME_COUNTERS[1]] - last_frames[FRAME_COUNTERS[1]]) / dt,
                frames_deficit_per_s=(frames[FRAME_COUNTERS[2]] - last_frames[FRAME_COUNTERS[2]]) / dt,
                packets_received_per_s=(packets - last_packets) / dt,
                players_streaming=streaming,
            )
            report.samples.append(sample)
            connected = sum(1 for s in sim.stats().values() if s.get("connected"))
            report.connected_players = connected
            if progress:
                progress(sample, connected)
            last_t, last_frames, last_packets, last_by_guild = now, frames, packets, by_guild
        report.queued_at_stop = max(0.0, (last_frames[FRAME_COUNTERS[0]] - base_frames) - (last_packets - base_packets))
        drained = drain(session, sim, guilds, metrics_url)
        report.drained = drained.settled
        report.frames_sent = drained.frames_sent - base_frames
        report.packets_received = drained.packets - base_packets - drained.silence
        for guild in guilds:
            session.destroy_player(guild)
    return report


# time allowed for connecting every player before the measurement: rewinding (see run) only
# works while a player's decoder, up to 5 s ahead of playback, has not reached the tone's end
CONNECT_ALLOWANCE_S = 60


def make_audio(directory: Path, seconds: float) -> Path:
    """A tone long enough to outlast the test, so no player goes quiet mid-measurement."""
    length = seconds + 30 + CONNECT_ALLOWANCE_S
    return write_tone(directory / f"loadtest-{int(length)}s.wav", seconds=length)


def format_sample(sample: Sample, connected: int, players: int) -> str:
    return (
        f"{sample.elapsed_s:6.1f}s  players {connected:>4}/{players:<4} streaming {sample.players_streaming:>4} "
        f"cpu {sample.cpu_lavalink * 100:5.1f}%  mem {sample.memory_used_bytes / 2**20:7.1f} MiB  "
        f"frames/s sent {sample.frames_sent_per_s:8.1f} nulled {sample.frames_nulled_per_s:6.1f} "
        f"deficit {sample.frames_deficit_per_s:6.1f}  packets/s {sample.packets_received_per_s:8.1f}"
    )


def format_report(report: Report) -> str:
    d = report.as_dict()["summary"]
    rows = [
        ("players connected", f"{report.connected_players}/{report.players}"),
        (
            "players streaming",
            f"at least {min((x.players_streaming for x in report.samples[1:] or report.samples), default=0)}"
            f"/{report.players} in every second",
        ),
        ("node CPU (mean)", f"{d['cpu_lavalink'] * 100:.1f}%  (from {report.cpu_source})"),
        ("node memory (max)", f"{d['memory_used_bytes_max'] / 2**20:.1f} MiB"),
        ("frames sent /s", f"{d['frames_sent_per_s']:.1f}  (ideal {50 * report.players})"),
        ("frames nulled /s", f"{d['frames_nulled_per_s']:.1f}"),
        ("frames deficit /s", f"{d['frames_deficit_per_s']:.1f}"),
        ("packets received /s", f"{d['packets_received_per_s']:.1f}"),
        (
            "delivered",
            f"{report.packets_received} of {report.frames_sent:.0f} frames sent"
            + (f" ({d['delivery_ratio'] * 100:.2f}%)" if d["delivery_ratio"] is not None else "")
            + ("" if report.drained else "  (packets still arriving after the drain: totals early)"),
        ),
        (
            "queued at stop",
            f"{report.queued_at_stop:.0f} frames (in the node's send queue when the window "
            "closed; delivered by the drain)",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
