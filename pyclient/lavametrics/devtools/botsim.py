"""A simulated music bot for the local stack: BotMetrics fed by a command mix and real Lavalink sessions.

Commands arrive at random (Poisson, ``rate`` per second) in the mix of a busy music bot, each
with its own typical latency; a command is observed when it would have finished, so a slow
command shows up as late as a real one would. Each Lavalink node gets a real client session
whose players stream to the voice simulator; node connects and disconnects, track events and
voice closes come from that session, as a bot would report them.

Like a bot, it loads tracks (``/v4/loadtracks``) for its play and search commands once a node
is connected, and rejoins a guild's voice channel when the voice server closes the connection.

Faults (``lavametrics.devtools.faults`` drives them): ``set_slow(seconds)`` makes every command
take that long, ``set_error_ratio(r)`` makes that share of commands fail, ``lose_voice(node)``
stops rejoining voice on that node (its players keep their track but no voice connection)
and ``rejoin(node)`` connects every guild of the node again.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import math
import queue
import random
import threading
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from lavametrics.devtools.voicelink import connect_and_play, voice_state
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.http.server import MetricsHTTPServer, make_handler
from lavametrics.lavalink.session import LavalinkSession, SessionError

log = logging.getLogger(__name__)

# (command, share of traffic, median latency in seconds): loads and searches wait on Lavalink
COMMAND_MIX = (
    ("play", 0.30, 0.45),
    ("skip", 0.14, 0.12),
    ("queue", 0.14, 0.06),
    ("nowplaying", 0.10, 0.05),
    ("pause", 0.07, 0.10),
    ("resume", 0.07, 0.10),
    ("search", 0.08, 0.40),
    ("volume", 0.04, 0.08),
    ("shuffle", 0.03, 0.07),
    ("leave", 0.03, 0.15),
)
# log-normal spread around each median: about 1% of play commands take over 1 s. A wider tail
# lands p95 inside BotMetrics' (1 s, 2.5 s] bucket, where histogram_quantile interpolates
# linearly and reads up to 2.5 s, which is what BotCommandLatencyHigh pages on.
LATENCY_SIGMA = 0.35
SEARCH_SOURCES = ("youtube", "soundcloud", "spotify")
RECONNECT_DELAY = 3.0
ERROR_RATIO = 0.0005  # the healthy share of failing commands
LOADS_QUEUED = 4  # loads waiting for the loader thread; more are dropped (a busy bot sheds them)
HANDSHAKE_TIMEOUT = 30.0


@dataclass
class SimNode:
    name: str
    url: str
    password: str
    guilds: tuple[int, ...]
    session: LavalinkSession | None = field(default=None, repr=False)
    connected: bool = False
    track: dict | None = field(default=None, repr=False)  # what its players play
    voice_lost: bool = False  # the bot does not rejoin voice on this node (the silent-players fault)


class BotSimulator:
    def __init__(
        self,
        *,
        nodes: list[SimNode],
        sim: VoiceSimulator,
        audio: str,
        rate: float = 2.0,
        error_ratio: float = ERROR_RATIO,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
    ):
        self.registry = CollectorRegistry()
        self.metrics = BotMetrics(
            registry=self.registry, commands=[c for c, _, _ in COMMAND_MIX], nodes=[n.name for n in nodes]
        )
        self.nodes = nodes
        self.sim = sim
        self.audio = audio
        self.rate = rate
        self._error_ratio = error_ratio
        self._slow: float | None = None
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._loads: queue.Queue[str] = queue.Queue(LOADS_QUEUED)
        # the same bounded server a bot's own endpoint runs (BotMetrics.from_env)
        self.server = MetricsHTTPServer((host, port), make_handler(self.registry))

    # --- faults ------------------------------------------------------------------------------
    def set_slow(self, seconds: float | None) -> None:
        self._slow = seconds

    def set_error_ratio(self, ratio: float) -> None:
        self._error_ratio = ratio

    def node(self, name: str) -> SimNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node {name!r} (nodes: {', '.join(n.name for n in self.nodes)})")

    def lose_voice(self, name: str, lost: bool = True) -> None:
        """With ``lost``, closed voice connections on that node stay closed (no rejoin)."""
        self.node(name).voice_lost = lost

    def rejoin(self, name: str) -> int:
        """Give every guild of the node its track and a voice connection again; how many joined."""
        node = self.node(name)
        session, track = node.session, node.track
        if session is None or track is None:
            return 0
        joined = 0
        for guild in node.guilds:
            with contextlib.suppress(SessionError, OSError):
                body = {"track": {"encoded": track["encoded"]}, "voice": voice_state(self.sim, guild)}
                session.update_player(guild, body, timeout=HANDSHAKE_TIMEOUT)
                joined += 1
        return joined

    def drop_connection(self, name: str, timeout: float = 60.0) -> None:
        """Cut the bot's websocket to the node once it is connected, as a flaky network does; the
        bot counts the disconnect and connects again by itself (after RECONNECT_DELAY)."""
        node = self.node(name)
        deadline = time.monotonic() + timeout
        while not (node.connected and node.session is not None and node.session.is_open):
            if time.monotonic() > deadline:
                raise TimeoutError(f"bot simulator: node {name} not connected after {timeout:.0f}s")
            time.sleep(0.2)
        node.session.close()
        while node.connected:  # the node's loop saw the close and counted the disconnect
            if time.monotonic() > deadline:
                raise TimeoutError(f"bot simulator: node {name} still connected {timeout:.0f}s after the cut")
            time.sleep(0.1)

    @property
    def metrics_url(self) -> str:
        host, port = str(self.server.server_address[0]), self.server.server_address[1]
        return f"http://{host}:{port}/metrics"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> BotSimulator:
        self._spawn(self.server.serve_forever, "botsim-http", 0.2)
        self._spawn(self._commands, "botsim-commands")
        self._spawn(self._loader, "botsim-loads")
        for node in self.nodes:
            self._spawn(self._node_loop, f"botsim-{node.name}", node)
        return self

    def _spawn(self, target, name, *args) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        for node in self.nodes:
            if node.session is not None:
                node.session.close()
        for t in self._threads:
            t.join(10)
        self.server.server_close()

    def wait_connected(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not all(n.connected for n in self.nodes):
            if time.monotonic() > deadline:
                missing = [n.name for n in self.nodes if not n.connected]
                raise TimeoutError(f"bot simulator: nodes {missing} not connected after {timeout:.0f}s")
            time.sleep(0.2)

    # --- commands ----------------------------------------------------------------------------
    def _pick(self) -> tuple[str, float]:
        r, acc = self._rng.random(), 0.0
        for name, share, median in COMMAND_MIX:
            acc += share
            if r <= acc:
                return name, median
        return COMMAND_MIX[-1][0], COMMAND_MIX[-1][2]

    def _commands(self) -> None:
        pending: list[tuple[float, str, float, str]] = []  # (finish time, command, duration, outcome)
        next_arrival = time.monotonic() + self._rng.expovariate(self.rate)
        while not self._stop.is_set():
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _, name, duration, outcome = heapq.heappop(pending)
                self.metrics.observe_command(name, duration, outcome)
            if next_arrival <= now:
                name, median = self._pick()
                duration = self._slow if self._slow else self._rng.lognormvariate(math.log(median), LATENCY_SIGMA)
                roll = self._rng.random()
                outcome = "error" if roll < self._error_ratio else "cancelled" if roll > 0.998 else "success"
                heapq.heappush(pending, (now + duration, name, duration, outcome))
                if name in ("play", "search"):
                    with contextlib.suppress(queue.Full):
                        self._loads.put_nowait(self.audio)
                    self.metrics.observe_search(
                        self._rng.choice(SEARCH_SOURCES), 0 if self._rng.random() < 0.03 else self._rng.randint(1, 25)
                    )
                self.metrics.set_queue_length(self._rng.randint(20, 60))
                next_arrival = now + self._rng.expovariate(self.rate)
            wake = min(next_arrival, pending[0][0] if pending else next_arrival)
            self._stop.wait(max(0.0, min(wake - time.monotonic(), 0.5)))

    def _loader(self) -> None:
        """Load what play and search commands ask for on a connected node, as a bot resolves a query."""
        turn = 0
        while not self._stop.is_set():
            try:
                identifier = self._loads.get(timeout=0.5)
            except queue.Empty:
                continue
            connected = [n for n in self.nodes if n.connected and n.session is not None]
            if not connected:
                continue
            node = connected[turn % len(connected)]
            turn += 1
            with contextlib.suppress(SessionError, OSError, AttributeError):
                node.session.load(identifier)  # type: ignore[union-attr]

    # --- Lavalink sessions -------------------------------------------------------------------
    def _node_loop(self, node: SimNode) -> None:
        while not self._stop.is_set():
            try:
                session = LavalinkSession(
                    node.url, node.password, client_name="lavametrics-botsim", user_id=4343, timeout=10
                )
            except SessionError:
                self._stop.wait(RECONNECT_DELAY)
                continue
            node.session, node.connected = session, True
            self.metrics.node_event(node.name, "connected")
            try:
                node.track = connect_and_play(session, self.sim, node.guilds, self.audio, timeout=HANDSHAKE_TIMEOUT)
            except SessionError as exc:
                log.warning("bot simulator: %s: could not start players: %s", node.name, exc)
                node.track = None
            self._follow(node, session)
            node.connected = False
            if self._stop.is_set():
                break
            self.metrics.node_event(node.name, "disconnected")
            self._stop.wait(RECONNECT_DELAY)

    def _follow(self, node: SimNode, session: LavalinkSession) -> None:
        """Report the session's events until it closes; replay a finished track as a queue would,
        rejoin voice when the voice server closed the connection."""
        while session.is_open and not self._stop.is_set():
            try:
                message = session.messages.get(timeout=0.5)
            except queue.Empty:
                continue
            session.history.clear()  # the stack runs for hours: keep no transcript
            if message.get("op") != "event":
                continue
            kind = message.get("type")
            if kind == "TrackStartEvent":
                self.metrics.track_event("start")
            elif kind == "TrackEndEvent":
                reason = message.get("reason", "none")
                self.metrics.track_event("end", reason)
                if reason == "finished" and node.track is not None:
                    try:
                        session.update_player(int(message["guildId"]), {"track": {"encoded": node.track["encoded"]}})
                    except (SessionError, OSError):
                        pass
            elif kind == "TrackExceptionEvent":
                self.metrics.track_event("exception", message.get("exception", {}).get("severity", "none").lower())
            elif kind == "TrackStuckEvent":
                self.metrics.track_event("stuck")
            elif kind == "WebSocketClosedEvent":
                self.metrics.voice_close(message.get("code"))
                if message.get("byRemote") and not node.voice_lost:
                    # as a bot does on 4006 & co: join the channel again (a fresh voice server update)
                    guild = int(message["guildId"])
                    threading.Thread(target=self._rejoin_guild, args=(session, guild), daemon=True).start()
        session.close()

    def _rejoin_guild(self, session: LavalinkSession, guild: int) -> None:
        with contextlib.suppress(SessionError, OSError):
            session.update_player(guild, {"voice": voice_state(self.sim, guild)}, timeout=HANDSHAKE_TIMEOUT)
            self.metrics.voice_reconnect()
