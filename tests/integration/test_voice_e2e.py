"""Real playback through the voice simulator: frames, ends, closes and ping, end to end.

The node's voice client completes a Discord voice handshake with `lavametrics.devtools.voicesim`, so
frames are pulled from lavaplayer and sent as RTP packets the simulator counts independently
of the plugin.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time

import pytest

from lavametrics.devtools.voicelink import connect_and_play, rewind, voice_state
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession
from tests.samples import delta, scrape, total, value, wait_until

pytestmark = pytest.mark.integration

# After a track ends the voice client sends five Opus silence frames, as Discord clients do, so
# the receiver does not interpolate; they are not lavaplayer frames, so the plugin does not count them.
SILENCE_FRAMES = 5


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    """Kept for the module, so a second simulator here reuses the certificate the node trusts."""
    return tmp_path_factory.mktemp("voicesim")


@pytest.fixture(scope="module")
def sim(sim_dir):
    with VoiceSimulator(workdir=sim_dir) as simulator:
        yield simulator


def settled_packets(sim: VoiceSimulator, guild: int, quiet: float = 0.3, timeout: float = 5.0) -> int:
    """The guild's packet count once nothing has arrived for `quiet` seconds (trailing frames included)."""
    deadline = time.monotonic() + timeout
    last = sim.stats()[str(guild)]["total_packets"]
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = sim.stats()[str(guild)]["total_packets"]
        if now == last:
            return now
        last = now
    raise AssertionError(f"guild {guild} was still receiving packets after {timeout}s ({last} so far)")


@pytest.fixture(scope="module")
def node(node_factory, sim):
    return node_factory(plugin=True, jvm_args=sim.jvm_args())


@pytest.fixture()
def session(node):
    with LavalinkSession(node.url, node.password) as s:
        yield s


def test_rewind_puts_every_streaming_player_back_at_the_start(node, sim, session, tmp_path):
    # the benchmarks' and loadtest's fix for players that start streaming at different times:
    # once all are connected, every one is at the top of the tone and keeps streaming
    wav = write_tone(tmp_path / "rewound.wav", seconds=20)
    guilds = [6101, 6102]
    connect_and_play(session, sim, guilds, str(wav))
    time.sleep(3.0)
    players = {p["guildId"]: p for p in session.request("GET", f"/v4/sessions/{session.session_id}/players")}
    assert all(players[str(g)]["track"]["info"]["position"] >= 2000 for g in guilds)
    rewind(session, guilds)
    rewound_at = time.monotonic()
    # lavaplayer applies a seek on the track's decoding thread, so the position moves shortly after
    positions: dict[str, int] = {}
    while time.monotonic() - rewound_at < 3.0:
        players = {p["guildId"]: p for p in session.request("GET", f"/v4/sessions/{session.session_id}/players")}
        positions = {str(g): players[str(g)]["track"]["info"]["position"] for g in guilds}
        if all(pos < 1500 for pos in positions.values()):
            break
        time.sleep(0.1)
    assert all(pos < 1500 for pos in positions.values()), positions
    start = {g: sim.stats()[str(g)]["total_packets"] for g in guilds}
    time.sleep(2.0)
    for g in guilds:
        streamed = sim.stats()[str(g)]["total_packets"] - start[g]
        elapsed = time.monotonic() - rewound_at
        assert streamed >= 0.8 * 50 * elapsed, f"guild {g}: {streamed} packets in {elapsed:.1f} s after the rewind"
    for g in guilds:
        session.destroy_player(g)


def test_track_plays_to_the_end_and_frames_match_packets(node, sim, session, tmp_path):
    wav = write_tone(tmp_path / "five.wav", seconds=5)
    before = scrape(node.metrics_url)
    connect_and_play(session, sim, [6001], str(wav))
    end = session.wait_event("TrackEndEvent", timeout=20)
    assert end["reason"] == "finished"
    after = wait_until(
        node.metrics_url, lambda s: total(s, "lavametrics_track_ends_total", source="local", reason="finished") >= 1
    )
    sent = value(after, "lavametrics_frames_sent_total") - value(before, "lavametrics_frames_sent_total")
    received = settled_packets(sim, 6001) - SILENCE_FRAMES
    assert sent >= 245, f"a 5 s track is 250 frames of 20 ms; the plugin counted {sent}"
    assert abs(received - sent) <= 0.01 * sent, f"plugin sent {sent}, simulator received {received} audio packets"
    assert delta(before, after, "lavametrics_track_ends_total", source="local", reason="finished") == 1


def test_connected_gauge_and_ping_while_streaming(node, sim, session, tmp_path):
    wav = write_tone(tmp_path / "long.wav", seconds=30)
    guilds = [6101, 6102, 6103]
    connect_and_play(session, sim, guilds, str(wav))
    for guild in guilds:
        sim.wait_packets(guild, 50, timeout=15)
    s = wait_until(
        node.metrics_url,
        lambda s: (
            value(s, "lavametrics_voice_connected_players") == len(guilds)
            and value(s, "lavametrics_voice_ping_seconds_count") > 0
        ),
        timeout=20,
    )
    assert value(s, "lavametrics_voice_connected_players") == len(guilds)
    assert value(s, "lavametrics_voice_ping_seconds_count") > 0
    for guild in guilds:
        session.destroy_player(guild)
    s = wait_until(node.metrics_url, lambda s: value(s, "lavametrics_voice_connected_players") == 0)
    assert value(s, "lavametrics_voice_connected_players") == 0


def test_close_4006_is_counted_and_reported(node, sim, session, tmp_path):
    wav = write_tone(tmp_path / "close.wav", seconds=30)
    before = scrape(node.metrics_url)
    connect_and_play(session, sim, [6201], str(wav))
    sim.wait_packets(6201, 10, timeout=15)
    assert sim.close(6201, 4006, "session no longer valid")
    closed = session.wait_event("WebSocketClosedEvent", timeout=15)
    assert closed["code"] == 4006 and closed["guildId"] == "6201"
    s = wait_until(
        node.metrics_url,
        lambda s: (
            total(s, "lavametrics_voice_closes_total", code="4006")
            > total(before, "lavametrics_voice_closes_total", code="4006")
        ),
    )
    assert delta(before, s, "lavametrics_voice_closes_total", code="4006") == 1
    assert total(s, "lavametrics_voice_closes_total") - total(before, "lavametrics_voice_closes_total") == 1


def test_receiver_that_stops_reading_loses_what_the_node_sent(node, sim_dir, session, tmp_path):
    """UDP gives the sender no back-pressure: the node keeps counting frames as sent while a
    receiver that stopped reading drops them, so loss is sent minus received (what loadtest shows)."""
    wav = write_tone(tmp_path / "loss.wav", seconds=30)
    # A tiny receive buffer (the kernel's minimum) fills within a few packets once reading stops.
    with VoiceSimulator(workdir=sim_dir, rcvbuf=4096) as small:
        before = scrape(node.metrics_url)
        connect_and_play(session, small, [6301], str(wav))
        small.wait_packets(6301, 25, timeout=15)
        small.pause_reading()
        time.sleep(2)
        small.resume_reading()
        small.wait_packets(6301, small.stats()["6301"]["total_packets"] + 25, timeout=15)
        session.destroy_player(6301)
        received = settled_packets(small, 6301) - SILENCE_FRAMES
        stats = small.stats()["6301"]
        after = scrape(node.metrics_url)
    sent = value(after, "lavametrics_frames_sent_total") - value(before, "lavametrics_frames_sent_total")
    assert stats["gaps"] > 0, stats
    assert sent - received >= 50, f"2 s without reading should lose ~100 packets; sent {sent}, received {received}"


class _TricklingWav(http.server.BaseHTTPRequestHandler):
    """Serves a WAV at half real-time speed, so the node's buffer runs dry: nulled frames."""

    body = b""

    def do_GET(self):  # noqa: N802 (http.server API)
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        chunk = 48_000 * 4 // 10  # 100 ms of audio ...
        try:
            for i in range(0, len(self.body), chunk):
                self.wfile.write(self.body[i : i + chunk])
                self.wfile.flush()
                time.sleep(0.2)  # ... every 200 ms
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_slow_source_gives_nulled_frames(node, sim, session, tmp_path):
    _TricklingWav.body = write_tone(tmp_path / "slow.wav", seconds=6).read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TricklingWav)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        before = scrape(node.metrics_url)
        url = f"http://127.0.0.1:{server.server_address[1]}/slow.wav"
        result = session.load(url)
        assert result["loadType"] == "track", result
        # the PATCH answers after the voice handshake: give it a handshake's time, as connect_and_play does
        session.update_player(
            6401, {"track": {"encoded": result["data"]["encoded"]}, "voice": voice_state(sim, 6401)}, timeout=20
        )
        s = wait_until(
            node.metrics_url,
            lambda s: (
                value(s, "lavametrics_frames_nulled_total") > value(before, "lavametrics_frames_nulled_total") + 20
            ),
            timeout=20,
        )
        assert value(s, "lavametrics_frames_nulled_total") - value(before, "lavametrics_frames_nulled_total") > 20
        session.destroy_player(6401)
    finally:
        server.shutdown()


def test_loadtest_cli_reports_delivery(node, sim_dir, capsys):
    from lavametrics.cli import main

    code = main(
        [
            "loadtest",
            "--url",
            node.url,
            "--password",
            node.password,
            "--players",
            "3",
            "--seconds",
            "3",
            "--sim-dir",
            str(sim_dir),
            "--node-pid",
            str(node.process.pid),
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and out, err  # the one-line error says why, should the run fail
    report = json.loads(out)
    assert report["connected_players"] == 3
    assert len(report["samples"]) == 3
    # the JVM's own CPU, every second: three players streaming cost it something in each
    assert report["cpu_source"].startswith("the JVM's CPU time in /proc/"), report["cpu_source"]
    assert all(0 < s["cpu_lavalink"] <= 1 for s in report["samples"]), report["samples"]
    assert len(re.findall(r"players\s+3/3", err)) == 3, err  # one progress line per second
    summary = report["summary"]
    assert 120 <= summary["frames_sent_per_s"] <= 180, summary  # 3 players x 50 frames/s
    # after the drain nothing is left in the node's send queue: every frame counted has arrived. The voice
    # client also sends 5 silence frames whenever a stream runs dry for a frame (an underrun, as Koe
    # does), which the report cannot tell from audio: at most one such stall per player is allowed.
    assert report["drained"], report
    assert -2 <= report["packets_received"] - report["frames_sent"] <= 5 * 3, report
    assert report["queued_at_stop"] >= 0
