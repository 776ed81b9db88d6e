"""Faults for the local stack, the alert each should page, and the drill that times the page.

One implementation for ``lavametrics stack fault`` (through the supervisor's control socket,
see :mod:`lavametrics.devtools.stack`) and for tests/monitoring/test_live_stack.py (on an
in-process :class:`~lavametrics.devtools.stack.Stack`):

============== ============================================================ ==========================
kind           what happens                                                 pages
============== ============================================================ ==========================
node-down      the node's JVM is stopped (clear: started again)             LavalinkNodeDown
voice-closes   the voice server closes ``count`` connections with ``code``  LavalinkVoiceCloses
               (the bot rejoins after each, as bots do)
silent-players the voice server drops every connection of the node and the  LavalinkPlaybackSilent
               bot cannot rejoin: players keep their track, no frame moves
node-disconnects the bot's websocket to the node is cut ``count`` times     BotLavalinkDisconnects
               (a flaky network; the bot reconnects after each)
slow-commands  every bot command takes ``seconds``                          BotCommandsSlow
command-errors ``share`` of the bot's commands fail                         BotCommandErrorsHigh
frame-loss     the players' HTTP source delivers ``1 - share`` of real time LavalinkFrameLossHigh
node-blip      the node's JVM is frozen for ``seconds`` (20; SIGSTOP, then   no LavalinkNodeDown: the
               SIGCONT): scrapes time out, as for a hung or unreachable node price of a fast one
node-flap      ``count`` (4) freezes of ``seconds`` (20), each followed by   no LavalinkNodeDown
               as long running: the target flaps
ip-banned      ``count`` addresses of the node's route planner block (3/4   LavalinkRoutePlannerExhausted
               of it) are marked failing, as a source's 429s mark them
               (the stand-in's ``/standin/routeplanner/fail``; clear: the
               node's ``/v4/routeplanner/free/all``)
slow-voice     the voice server answers IDENTIFY ``seconds`` (4) late and  LavalinkVoiceConnectsSlow
               closes ``count`` connections (code 1000, which pages
               nothing itself); the bot rejoins each, slowly
============== ============================================================ ==========================

The last two must not page ``LavalinkNodeDown``: the drill watches the receiver for
``QUIET_WATCH`` seconds after them and lists what did page. A frozen JVM also stops its audio,
so what the freeze itself broke (voice connections that timed out) may page, as it should.

The drill (:func:`drill`) injects, waits for the webhook receiver to log the page, clears the
fault and waits for the resolved notification, reading ``alerts.log`` as any other process
could; it counts every notification in between (one incident should be one notification).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lavametrics.errors import LavametricsError
from lavametrics.mixin import rules
from lavametrics.mixin.config import MixinConfig

if TYPE_CHECKING:
    from lavametrics.devtools.stack import Stack

KINDS = (
    "node-down",
    "voice-closes",
    "silent-players",
    "node-disconnects",
    "slow-commands",
    "command-errors",
    "frame-loss",
    "node-blip",
    "node-flap",
    "ip-banned",
    "slow-voice",
)
NO_PAGE_KINDS = ("node-blip", "node-flap")  # faults LavalinkNodeDown must ride out
QUIET_WATCH = 180.0  # how long after such a fault the drill listens for a page that must not come
DEFAULT_BLIP_SECONDS = 20.0
SILENT_PLAYBACK_ALERTS = ("LavalinkPlaybackSilent",)
DEFAULT_SHARE = {"command-errors": 0.3, "frame-loss": 0.3}
DEFAULT_SLOW_SECONDS = 3.0
DEFAULT_CODE = 4006
# --- route planner and voice connects (issue 22) ---
# the stack's nodes' route planner block: loopback, 16 addresses; the planner routes nothing
# (the stack plays a local HTTP tone, no source that would use it)
STACK_IP_BLOCK = "127.0.0.0/28"
SLOW_VOICE_SECONDS = 4.0
SLOW_VOICE_CLOSE_CODE = 1000  # a normal close: LavalinkVoiceCloses ignores it, the bot still rejoins
# --- end route planner and voice connects ---


class FaultError(LavametricsError, RuntimeError):
    """A fault could not be injected or cleared; the message says why."""


@dataclass(frozen=True)
class Expect:
    """An alert the fault should cause, with the labels that tell it apart from other incidents."""

    alert: str
    severity: str
    labels: dict[str, str] = field(default_factory=dict)

    def matches(self, labels: dict[str, Any]) -> bool:
        return labels.get("alertname") == self.alert and all(labels.get(k) == v for k, v in self.labels.items())

    def describe(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.labels.items())
        return f"{self.alert} ({self.severity}{', ' + where if where else ''})"


@dataclass
class Fault:
    kind: str
    params: dict[str, Any]
    injected: float  # time.time() when the fault took effect
    expects: list[Expect]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "params": self.params,
            "injected": self.injected,
            "expects": [{"alert": e.alert, "severity": e.severity, "labels": e.labels} for e in self.expects],
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fault:
        return cls(
            d["kind"],
            dict(d["params"]),
            float(d["injected"]),
            [Expect(e["alert"], e["severity"], dict(e["labels"])) for e in d["expects"]],
            d.get("note", ""),
        )


def _alert(config: MixinConfig, *names: str) -> rules.Alert | None:
    by_name = {a.name: a for a in rules.alerts(config)}
    return next((by_name[n] for n in names if n in by_name), None)


def expectations(kind: str, params: dict[str, Any], config: MixinConfig) -> tuple[list[Expect], str]:
    """The alerts ``kind`` should page with these parameters, and a note when none is known."""
    node = str(params.get("node", ""))
    table: dict[str, list[tuple[tuple[str, ...], dict[str, str]]]] = {
        "node-down": [(("LavalinkNodeDown",), {"node": node})],
        "voice-closes": [(("LavalinkVoiceCloses",), {"node": node, "code": str(params.get("code"))})],
        "silent-players": [(SILENT_PLAYBACK_ALERTS, {"node": node})],
        "node-disconnects": [(("BotLavalinkDisconnects",), {"job": "bot", "node": node})],
        "slow-commands": [(("BotCommandsSlow",), {"job": "bot"})],
        "command-errors": [(("BotCommandErrorsHigh",), {"job": "bot"})],
        # the source slows every player, so every node that plays loses frames: any node's page
        "frame-loss": [(("LavalinkFrameLossHigh",), {})],
        "node-blip": [],
        "node-flap": [],
        "ip-banned": [(("LavalinkRoutePlannerExhausted",), {"node": node})],
        "slow-voice": [(("LavalinkVoiceConnectsSlow",), {"node": node})],
    }
    wanted = table[kind]
    out, missing = [], []
    for names, labels in wanted:
        a = _alert(config, *names)
        if a is None:
            missing.append(" or ".join(names))
        else:
            out.append(Expect(a.name, a.severity, labels))
    note = f"no alert in the rules catches this yet (wanted: {', '.join(missing)})" if missing else ""
    if kind in NO_PAGE_KINDS:
        note = "must not page LavalinkNodeDown"
    return out, note


def _defaults(stack: Stack, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    p = {k: v for k, v in params.items() if v is not None}
    if kind in (
        "node-down",
        "voice-closes",
        "silent-players",
        "node-disconnects",
        "ip-banned",
        "slow-voice",
        *NO_PAGE_KINDS,
    ):
        p.setdefault("node", next(iter(stack.nodes)))
        if p["node"] not in stack.nodes:
            raise FaultError(f"no node {p['node']!r} in the stack (nodes: {', '.join(stack.nodes)})")
    if kind == "voice-closes":
        p.setdefault("code", DEFAULT_CODE)
        p.setdefault("count", stack.config.thresholds.voice_closes_max + 1)
    if kind == "node-disconnects":
        p.setdefault("count", stack.config.thresholds.disconnects_max + 1)
    if kind == "slow-voice":
        p.setdefault("seconds", SLOW_VOICE_SECONDS)
        p.setdefault("count", stack.config.thresholds.voice_connect_min + 1)
        if not stack.config.thresholds.voice_connect_seconds < float(p["seconds"]) <= 9:
            raise FaultError(
                f"slow-voice: --seconds {p['seconds']} must be above the alert's bound "
                f"({stack.config.thresholds.voice_connect_seconds:g} s) and at most 9 (the node's voice "
                "client gives up at 10)"
            )
    if kind == "slow-commands":
        p.setdefault("seconds", DEFAULT_SLOW_SECONDS)
    if kind in NO_PAGE_KINDS:
        p.setdefault("seconds", DEFAULT_BLIP_SECONDS)
        if kind == "node-flap":
            p.setdefault("count", 4)
        if float(p["seconds"]) * (2 * int(p.get("count", 1))) > 200:
            raise FaultError("node-blip/node-flap: count x 2 x seconds must stay within 200 s")
    if kind in DEFAULT_SHARE:
        p.setdefault("share", DEFAULT_SHARE[kind])
        if not 0 < float(p["share"]) <= (1.0 if kind == "command-errors" else 0.95):
            raise FaultError(f"--share {p['share']} is outside (0, {1 if kind == 'command-errors' else 0.95}]")
    return p


def inject(stack: Stack, kind: str, **params: Any) -> Fault:
    """Make ``kind`` happen on the running stack; the fault stays until :func:`clear`."""
    if kind not in KINDS:
        raise FaultError(f"unknown fault {kind!r} (one of {', '.join(KINDS)})")
    if kind in stack.faults:
        raise FaultError(f"{kind} is already injected; `lavametrics stack fault clear` first")
    bot, sim = stack.bot, stack.sim
    if bot is None or sim is None:
        raise FaultError("the stack is not started")
    p = _defaults(stack, kind, params)
    began = time.time()
    if kind == "node-down":
        stack.nodes[p["node"]].stop()
    elif kind == "voice-closes":
        _close_voice(stack, p["node"], int(p["code"]), int(p["count"]))
    elif kind == "silent-players":
        bot.lose_voice(p["node"])
        _close_voice(stack, p["node"], DEFAULT_CODE, len(bot.node(p["node"]).guilds))
    elif kind == "node-disconnects":
        for _ in range(int(p["count"])):
            try:
                bot.drop_connection(p["node"])
            except TimeoutError as exc:
                raise FaultError(str(exc)) from None
    elif kind in NO_PAGE_KINDS:
        _freeze(stack, p["node"], float(p["seconds"]), int(p.get("count", 1)))
    elif kind == "slow-commands":
        bot.set_slow(float(p["seconds"]))
    elif kind == "command-errors":
        bot.set_error_ratio(float(p["share"]))
    elif kind == "frame-loss":
        if stack.audio is None:
            raise FaultError("the stack's players do not stream from its HTTP source")
        stack.audio.set_loss(float(p["share"]))
    elif kind == "ip-banned":
        p["count"] = _ban(stack, p["node"], p.get("count"))
    elif kind == "slow-voice":
        sim.set_ready_delay(float(p["seconds"]))
        _close_voice(stack, p["node"], SLOW_VOICE_CLOSE_CODE, int(p["count"]))
        _wait_rejoined(stack, p["node"])
    expects, note = expectations(kind, p, stack.config)
    # a fault that must page nothing counts from its start; the others from when they took full
    # effect (the last close, the last disconnect): their alerts need all of it
    fault = Fault(kind, p, began if kind in NO_PAGE_KINDS else time.time(), expects, note)
    stack.faults[kind] = fault
    return fault


def _freeze(stack: Stack, name: str, seconds: float, count: int) -> None:
    """Freeze the node's JVM ``count`` times for ``seconds``, running as long between: to a
    scraper it is a node that stops answering and comes back (a GC pause, a hung host, a network
    blip), without the restart that would reset its counters."""
    proc = stack.nodes[name].process
    if proc is None or proc.poll() is not None:
        raise FaultError(f"node {name} is not running")
    for i in range(count):
        if i:
            time.sleep(seconds)
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.kill(proc.pid, signal.SIGCONT)


def _close_voice(stack: Stack, node: str, code: int, count: int) -> None:
    """Close ``count`` voice connections of the node's guilds in turn, a guild again only once the
    bot has rejoined it (so every close is a real connection dropped)."""
    assert stack.bot is not None and stack.sim is not None
    guilds = stack.bot.node(node).guilds
    for i in range(count):
        guild = guilds[i % len(guilds)]
        try:
            stack.sim.wait_connected(guild, timeout=60)
        except TimeoutError as exc:
            raise FaultError(f"guild {guild} on {node} has no voice connection to close: {exc}") from None
        if not stack.sim.close(guild, code, "lavametrics stack fault"):
            raise FaultError(f"guild {guild} on {node}: the voice connection went away before the close")
        if i + 1 < count and (i + 1) % len(guilds) == 0:
            time.sleep(0.5)  # let the close reach the node before waiting for the rejoin


# --- route planner and voice connects (issue 22) ---


def _node_request(stack: Stack, name: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One authorized call to the node's REST API; its JSON answer (None when empty)."""
    node = stack.nodes[name]
    headers = {"Authorization": node.password}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(node.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            payload = resp.read()
    except urllib.error.HTTPError as err:
        raise FaultError(f"node {name}: {method} {path} answered HTTP {err.code}") from None
    except OSError as err:
        raise FaultError(f"node {name}: {method} {path}: {err}") from None
    return json.loads(payload) if payload else None


def _ban(stack: Stack, name: str, count: Any) -> int:
    """Mark addresses of the node's route planner block failing (3/4 of the block by default)."""
    status = _node_request(stack, name, "GET", "/v4/routeplanner/status")
    if not status:
        raise FaultError(f"node {name} has no route planner (lavalink.server.ratelimit.ipBlocks)")
    size = int(status["details"]["ipBlock"]["size"])
    ratio = stack.config.thresholds.route_planner_failing_ratio
    n = int(count) if count is not None else max(int(ratio * size) + 1, size * 3 // 4)
    if not 0 < n <= size:
        raise FaultError(f"ip-banned: --count {n} must be within 1..{size} (the block's size)")
    _node_request(stack, name, "POST", "/standin/routeplanner/fail", {"count": n})
    return n


def _wait_rejoined(stack: Stack, name: str) -> None:
    """Every guild of the node connected again: the slow connects have all happened."""
    assert stack.bot is not None and stack.sim is not None
    for guild in stack.bot.node(name).guilds:
        try:
            stack.sim.wait_connected(guild, timeout=60)
        except TimeoutError as exc:
            raise FaultError(f"guild {guild} on {name} did not rejoin voice: {exc}") from None


# --- end route planner and voice connects ---


def clear(stack: Stack) -> list[str]:
    """Undo every injected fault; the kinds cleared, in injection order."""
    cleared = []
    for kind, fault in list(stack.faults.items()):
        p = fault.params
        if kind == "node-down":
            stack.restart_node(p["node"])
        elif kind == "silent-players" and stack.bot is not None:
            stack.bot.lose_voice(p["node"], False)
            stack.bot.rejoin(p["node"])
        elif kind == "slow-commands" and stack.bot is not None:
            stack.bot.set_slow(None)
        elif kind == "command-errors" and stack.bot is not None:
            from lavametrics.devtools.botsim import ERROR_RATIO

            stack.bot.set_error_ratio(ERROR_RATIO)
        elif kind == "frame-loss" and stack.audio is not None:
            stack.audio.set_loss(0.0)
        elif kind == "ip-banned":
            _node_request(stack, p["node"], "POST", "/v4/routeplanner/free/all")
        elif kind == "slow-voice" and stack.sim is not None:
            stack.sim.set_ready_delay(0)
        del stack.faults[kind]
        cleared.append(kind)
    return cleared


# --- the drill: what the webhook receiver logged ------------------------------------------------


@dataclass(frozen=True)
class Logged:
    """One notification as the webhook receiver logged it (alerts.log, one JSON line each)."""

    received: float  # unix time
    receiver: str
    status: str
    alerts: tuple[dict[str, Any], ...]  # each {"status", "labels"}


def read_log(path: Path, offset: int = 0) -> tuple[list[Logged], int]:
    """The complete lines of the log from byte ``offset``; and the offset after them."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    out = []
    for line in data[:end].splitlines():
        try:
            d = json.loads(line)
            out.append(
                Logged(
                    float(d["received_unix"]),
                    d.get("receiver", ""),
                    d.get("status", ""),
                    tuple({"status": a.get("status"), "labels": a.get("labels") or {}} for a in d.get("alerts", ())),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue  # a line from an older receiver, without the full labels
    return out, offset + end


@dataclass
class Timing:
    alert: str
    fired: float | None = None  # seconds from the fault to the first firing notification
    resolved: float | None = None  # seconds from the cleared fault to the resolved notification


@dataclass
class DrillResult:
    kind: str
    params: dict[str, Any]
    timings: list[Timing]
    notifications: int  # webhook POSTs from the fault until the last page resolved
    firing: int  # of them carrying a firing alert
    alertnames: list[str]  # every alert that fired in the incident
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "params": self.params,
            "alerts": [{"alert": t.alert, "fired_s": t.fired, "resolved_s": t.resolved} for t in self.timings],
            "notifications": self.notifications,
            "firing_notifications": self.firing,
            "alerts_in_incident": self.alertnames,
            "note": self.note,
        }


def drill(
    inject_fault: Callable[[], Fault],
    clear_faults: Callable[[], object],
    log_path: Path,
    *,
    fire_timeout: float = 900.0,
    resolve_timeout: float = 1500.0,
    progress: Callable[[str], None] = lambda line: None,
    state_of: Callable[[str], str] = lambda alert: "",
    every: float = 15.0,
) -> DrillResult:
    """Inject, wait for every expected page, clear, wait for every page to resolve; time both."""
    _, offset = read_log(log_path)
    fault = inject_fault()
    seen: list[Logged] = []
    timings = {e.alert: Timing(e.alert) for e in fault.expects}

    def poll() -> None:
        nonlocal offset
        new, offset = read_log(log_path, offset)
        seen.extend(new)

    def first(status: str, since: float, e: Expect) -> Logged | None:
        for n in seen:
            if n.received >= since and any(a["status"] == status and e.matches(a["labels"]) for a in n.alerts):
                return n
        return None

    def wait(status: str, since: float, timeout: float, field_name: str) -> None:
        deadline, last_report = time.time() + timeout, time.time()
        pending = [e for e in fault.expects if getattr(timings[e.alert], field_name) is None]
        while pending and time.time() < deadline:
            poll()
            for e in list(pending):
                n = first(status, since, e)
                if n is not None:
                    setattr(timings[e.alert], field_name, round(n.received - since, 1))
                    progress(f"{e.alert} {status} at the webhook after {n.received - since:.1f}s")
                    pending.remove(e)
            if pending and time.time() - last_report >= every:
                last_report = time.time()
                states = ", ".join(f"{e.alert} {state_of(e.alert) or 'not yet'}" for e in pending)
                progress(f"{time.time() - since:5.0f}s  waiting: {states}")
            time.sleep(0.5)
        for e in pending:
            progress(f"{e.alert}: no {status} notification within {timeout:.0f}s")

    # an alert still firing from the incident before (a burn rate's 5 m window, an inhibited page)
    # sends no new notification for this fault: timing it would time nothing, so the run is invalid
    stale = [e.alert for e in fault.expects if state_of(e.alert) == "firing"]
    if stale:
        fault.note = f"invalid: {', '.join(stale)} already firing when the fault was injected"
        progress(f"{fault.note}; not timed")
    elif fault.expects:
        wait("firing", fault.injected, fire_timeout, "fired")
    else:  # a fault that must page nothing: listen for a while, the table counts what came
        watch_end = time.time() + QUIET_WATCH
        while time.time() < watch_end:
            poll()
            time.sleep(0.5)
        firing = [n for n in seen if n.received >= fault.injected and any(a["status"] == "firing" for a in n.alerts)]
        progress(f"{len(firing)} firing notification(s) in the {QUIET_WATCH:.0f}s after the fault")
    clearing = time.time()
    clear_faults()  # node-down: until the node answers again
    cleared_at = time.time()
    progress(
        f"fault cleared {clearing - fault.injected:.0f}s after the injection (clearing took "
        f"{cleared_at - clearing:.0f}s); waiting for the resolved notifications"
    )
    if fault.expects:
        wait("resolved", cleared_at, resolve_timeout, "resolved")
    poll()
    incident = [n for n in seen if n.received >= fault.injected]
    names = sorted({a["labels"].get("alertname", "?") for n in incident for a in n.alerts if a["status"] == "firing"})
    return DrillResult(
        fault.kind,
        fault.params,
        list(timings.values()),
        notifications=len(incident),
        firing=sum(1 for n in incident if any(a["status"] == "firing" for a in n.alerts)),
        alertnames=names,
        note=fault.note,
    )


def summarize(results: list[DrillResult]) -> Iterator[dict[str, Any]]:
    """Per fault kind and alert: runs, min/median/max of fired and resolved, notifications per incident."""
    groups: dict[tuple[str, str], list[tuple[DrillResult, Timing]]] = {}
    invalid: dict[tuple[str, str], int] = {}
    for r in results:
        for t in r.timings or [Timing("(none)")]:
            if r.note.startswith("invalid:"):
                invalid[(r.kind, t.alert)] = invalid.get((r.kind, t.alert), 0) + 1
                continue
            groups.setdefault((r.kind, t.alert), []).append((r, t))

    def stats(values: list[float | None]) -> dict[str, Any]:
        got = [v for v in values if v is not None]
        if not got:
            return {"min": None, "median": None, "max": None, "missed": len(values)}
        return {
            "min": min(got),
            "median": round(statistics.median(got), 1),
            "max": max(got),
            "missed": len(values) - len(got),
        }

    for (kind, alert), rows in groups.items():
        yield {
            "kind": kind,
            "params": rows[0][0].params,
            "alert": alert,
            "runs": len(rows),
            "invalid_runs": invalid.get((kind, alert), 0),
            "fired": stats([t.fired for _, t in rows]),
            "resolved": stats([t.resolved for _, t in rows]),
            "notifications": [r.notifications for r, _ in rows],
            "firing_notifications": [r.firing for r, _ in rows],
            "alerts_in_incident": sorted({a for r, _ in rows for a in r.alertnames}),
        }
