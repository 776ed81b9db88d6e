"""The local monitoring stack: nodes, a simulated bot, Prometheus, Alertmanager and a webhook.

``make metrics-up`` runs ``python -m lavametrics.devtools.stack up``: a detached supervisor
process starts everything on loopback under ``.stack/`` and writes the URLs to
``.stack/urls.json``; ``up`` again finds it running and only prints them; ``down`` stops it.
The supervisor records itself (``stack.pid``) and every process it starts (``children.json``)
by pid and start time, so ``down`` stops them all even after the supervisor was killed, and
never signals a process that merely inherited a recorded pid. ``lavametrics stack fault``
talks to the supervisor through ``.stack/control.sock`` (a 0600 unix socket); the tests use
:class:`Stack` in-process, with the same fault implementation (:mod:`lavametrics.devtools.faults`).

The node's ``application.yml`` is 0600 and holds a random password made for this stack; the
stack's own clients read it from there and nothing prints it. Prometheus runs without
``--web.enable-lifecycle`` (no unauthenticated ``/-/quit``); nothing here needs a reload.

Everything runs with the generated configuration and the production timings of the mixin
(scrape and evaluation interval, ``for`` durations, Alertmanager group waits), so what pages
here pages as fast in production.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lavametrics.devtools import faults, history, procs
from lavametrics.devtools.audioserve import AudioServer
from lavametrics.devtools.botsim import BotSimulator, SimNode
from lavametrics.devtools.node import Node, NodeError, ServerJar, free_port, prepare_node, resolve_server_jar
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.devtools.webhook import WebhookReceiver
from lavametrics.errors import LavametricsError
from lavametrics.mixin.build import alertmanager_text, files, yaml_text
from lavametrics.mixin.config import MixinConfig, duration_seconds
from lavametrics.mixin.stackconfig import JOBS, prometheus_config
from lavametrics.monitor import targets
from lavametrics.monitor.nodesfile import NodeSpec

DEFAULT_PORTS = {"prometheus": 9090, "alertmanager": 9093, "webhook": 9095, "bot": 9096, "node": 2333}
GUILD_BASE = 810_000
USED_JOBS = tuple(j for j in JOBS if j.name in ("lavalink", "bot"))  # what the stack runs: nodes and a bot


class StackError(LavametricsError, RuntimeError):
    """The stack could not start; the message names the part and where its log is."""


def prometheus_api(base: str, path: str, timeout: float = 10, **params) -> Any:
    """The data of a Prometheus-API answer from ``base`` (Prometheus, VictoriaMetrics, vmalert)."""
    url = f"{base}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        body = json.loads(resp.read())
    if body.get("status") != "success":
        raise StackError(f"{path}: {body.get('error')}")
    return body["data"]


# another Prometheus than the one on PATH, e.g. the 3.x server `.ci/prometheus3 --server` builds
PROMETHEUS_ENV = "LAVAMETRICS_PROMETHEUS"


def prometheus_binary() -> str:
    chosen = os.environ.get(PROMETHEUS_ENV)
    if chosen:
        if not (os.path.isfile(chosen) and os.access(chosen, os.X_OK)):
            raise StackError(f"{PROMETHEUS_ENV}={chosen}: not an executable file")
        return chosen
    found = shutil.which("prometheus")
    if not found:
        raise StackError("no `prometheus` command: apt-get install prometheus")
    return found


def alertmanager_binary() -> str:
    # Debian installs it as prometheus-alertmanager; upstream tarballs as alertmanager
    found = shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")
    if not found:
        raise StackError("no `alertmanager` command: apt-get install prometheus-alertmanager")
    return found


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@dataclass
class Daemon:
    """A child process in its own session with its output in a log file."""

    name: str
    cmd: list[str]
    cwd: Path
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> Daemon:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.cmd,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        p = self.process
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout)
        except ProcessLookupError:
            pass

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def wait_until(ready, deadline: float, name: str, what: str, daemon: Daemon | None = None, poll: float = 0.5) -> None:
    """Poll ``ready()`` until it holds. The daemon that should make it hold exiting, or the
    monotonic ``deadline`` passing, raises StackError with the end of its log."""
    while not ready():
        if daemon is not None and not daemon.running():
            code = daemon.process.returncode if daemon.process is not None else None
            raise StackError(f"{name} exited ({code}); {daemon.log}:\n{daemon.tail()}")
        if time.monotonic() > deadline:
            where = f"; {daemon.log}:\n{daemon.tail()}" if daemon is not None else ""
            raise StackError(f"{name}: {what} not reached in time{where}")
        time.sleep(poll)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Stack:
    root: Path
    node_names: tuple[str, ...] = ("node-1",)
    guilds_per_node: int = 3
    config: MixinConfig = field(default_factory=MixinConfig)
    fixed_ports: bool = True  # the documented ports when free (make metrics-up), else any
    command_rate: float = 2.0
    backfill_seconds: float = 0.0  # healthy bot history written into the TSDB before Prometheus starts
    # more of prometheus.yml's `global:` (e.g. Prometheus 3's convert_classic_histograms_to_nhcb)
    prometheus_global: dict = field(default_factory=dict)

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        self.ports: dict[str, int] = {}
        self.nodes: dict[str, Node] = {}
        self.daemons: dict[str, Daemon] = {}
        self.sim: VoiceSimulator | None = None
        self.bot: BotSimulator | None = None
        self.webhook: WebhookReceiver | None = None
        self.audio: AudioServer | None = None
        self.faults: dict[str, faults.Fault] = {}

    # --- layout ------------------------------------------------------------------------------
    def _port(self, name: str, offset: int = 0) -> int:
        preferred = DEFAULT_PORTS[name] + offset
        return preferred if self.fixed_ports and _free(preferred) else free_port()

    def _write_prometheus(self, bot_port: int) -> Path:
        prom = self.root / "prometheus"
        (prom / "rules").mkdir(parents=True, exist_ok=True)
        for rel, text in files(self.config).items():
            if rel.startswith("prometheus/rules/"):
                (prom / "rules" / Path(rel).name).write_text(text)
        for name, cfg in self._prometheus_configs().items():
            cfg["global"] = {**cfg["global"], **self.prometheus_global}  # every Prometheus of the stack
            (prom / name).write_text(yaml_text(cfg))
        specs = [NodeSpec(name, n.url, n.password, n.metrics_url) for name, n in self.nodes.items()]
        (prom / "targets" / "core").mkdir(parents=True, exist_ok=True)
        targets.write(specs, prom / "targets" / "core" / "nodes.json")
        (prom / "targets" / "bot").mkdir(parents=True, exist_ok=True)
        (prom / "targets" / "bot" / "botsim.json").write_text(
            json.dumps([{"targets": [f"127.0.0.1:{bot_port}"], "labels": {}}], indent=2) + "\n"
        )
        return prom

    def _prometheus_configs(self) -> dict[str, dict]:
        """File name (in the prometheus directory) -> the configuration of each Prometheus."""
        cfg = prometheus_config(self.config, alertmanagers=(f"127.0.0.1:{self.ports['alertmanager']}",), jobs=USED_JOBS)
        return {"prometheus.yml": cfg}

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 240.0, progress=lambda msg: None) -> Stack:
        deadline = time.monotonic() + timeout
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            self._start(deadline, progress)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, deadline: float, progress) -> None:
        self._check_binaries()
        for name in ("webhook", "bot"):
            self.ports[name] = self._port(name)
        self.webhook = WebhookReceiver(port=self.ports["webhook"], log_path=self.root / "alerts.log").start()
        self._start_alerting()
        self._record_children()
        self._start_sources(deadline, progress)
        assert self.bot is not None
        prom = self._write_prometheus(self.bot.port)
        self._start_prometheus(prom, deadline, progress)

    def _check_binaries(self) -> None:
        """Every command this stack runs, before anything starts (StackError naming the package)."""
        prometheus_binary()
        alertmanager_binary()

    def _start_alerting(self) -> None:
        """One Alertmanager, notifying the webhook receiver."""
        assert self.webhook is not None
        self.ports["alertmanager"] = self._port("alertmanager")
        am = self.root / "alertmanager"
        shutil.rmtree(am / "data", ignore_errors=True)  # no notification log of an earlier run
        (am / "data").mkdir(parents=True)
        (am / "alertmanager.yml").write_text(alertmanager_text(self.config, webhook_url=self.webhook.url))
        self.daemons["alertmanager"] = Daemon(
            "alertmanager",
            [
                alertmanager_binary(),
                "--config.file=alertmanager.yml",
                "--storage.path=data",
                f"--web.listen-address=127.0.0.1:{self.ports['alertmanager']}",
                "--cluster.listen-address=",  # no gossip port: a single local instance
            ],
            am,
            am / "alertmanager.log",
        ).start()

    def _start_sources(self, deadline: float, progress) -> None:
        """What Prometheus scrapes: the node(s) on the voice simulator, and the simulated bot."""
        progress("starting the voice simulator and its audio source")
        self.sim = VoiceSimulator(workdir=self.root / "voicesim").start()
        self.audio = AudioServer(write_tone(self.root / "stack-tone.wav", seconds=600)).start()
        password = secrets.token_urlsafe(24)  # this stack's own; in application.yml (0600) only
        server = self._own_server_jar()
        for i, name in enumerate(self.node_names):
            port = self._port("node", i)
            self.nodes[name] = prepare_node(
                self.root / name,
                port=port,
                jvm_args=self.sim.jvm_args(),
                # every node has a small route planner block, so the ip-banned fault has one to ban
                overrides={
                    "lavalink": {"server": {"password": password, "ratelimit": {"ipBlocks": [faults.STACK_IP_BLOCK]}}}
                },
                server=server,
            )
        progress(f"starting the Lavalink node(s) ({', '.join(self.nodes)}; a JVM takes 10-30 s)")
        started = time.monotonic()
        with cf.ThreadPoolExecutor(len(self.nodes)) as pool:  # JVMs start in parallel
            futures = [pool.submit(n.start) for n in self.nodes.values()]
            while cf.wait(futures, timeout=1.0).not_done:
                self._record_children()  # each JVM as soon as it is spawned
            for fut in futures:
                fut.result()
        self._record_children()
        progress(f"node(s) ready in {time.monotonic() - started:.0f}s; connecting the simulated bot")
        sim_nodes = [
            SimNode(name, n.url, n.password, tuple(GUILD_BASE + 100 * i + g for g in range(self.guilds_per_node)))
            for i, (name, n) in enumerate(self.nodes.items())
        ]
        self.bot = bot = BotSimulator(
            nodes=sim_nodes, sim=self.sim, audio=self.audio.url, rate=self.command_rate, port=self.ports["bot"]
        ).start()
        bot.wait_connected(timeout=max(10.0, deadline - time.monotonic()))
        progress("bot connected, its players streaming to the voice simulator")

    def _start_prometheus(self, prom: Path, deadline: float, progress) -> None:
        """One Prometheus on a fresh TSDB (with the backfilled history, if any), every target up."""
        self.ports["prometheus"] = self._port("prometheus")
        assert self.bot is not None
        # a fresh TSDB: a backfilled hour over an earlier run's samples of the same series reads as
        # counter resets, and the burn-rate windows would measure nothing
        shutil.rmtree(prom / "data", ignore_errors=True)
        (prom / "data").mkdir()
        if self.backfill_seconds:
            progress(f"backfilling {self.backfill_seconds:.0f}s of bot and frame history")
            self._backfill(prom, self.bot.port)
        progress("starting Prometheus")
        self.daemons["prometheus"] = Daemon(
            "prometheus",
            [
                prometheus_binary(),
                "--config.file=prometheus.yml",
                "--storage.tsdb.path=data",
                f"--web.listen-address=127.0.0.1:{self.ports['prometheus']}",
                # the rules read slo.period back: keep at least that (mixin timings.retention)
                f"--storage.tsdb.retention.time={self.config.timings.retention}",
            ],
            prom,
            prom / "prometheus.log",
        ).start()
        self._record_children()
        self._wait(lambda: http_ok(f"{self.prometheus_url}/-/ready"), deadline, "prometheus", "/-/ready")
        self._wait(lambda: http_ok(f"{self.alertmanager_url}/-/ready"), deadline, "alertmanager", "/-/ready")
        progress("Prometheus and Alertmanager ready; waiting for the first scrape of every target")
        self._wait(self.targets_up, deadline, "prometheus", "every target up")

    def _own_server_jar(self) -> ServerJar:
        """A copy of the server jar for this stack: `make build` rewrites the jar in the checkout,
        and a JVM whose jar changed under it fails to load its next class (lavaplayer's end of
        track, hours into a stack's life). A launcher jar that names its dependencies in its
        manifest's Class-Path (relative to where it lies) runs where it is."""
        server = resolve_server_jar()
        try:
            with zipfile.ZipFile(server.path) as jar:
                manifest = jar.read("META-INF/MANIFEST.MF").decode(errors="replace")
        except (OSError, KeyError, zipfile.BadZipFile):
            manifest = ""
        if re.search(r"^Class-Path:", manifest, re.MULTILINE):
            return server
        copy = self.root / server.path.name
        shutil.copy2(server.path, copy)
        return ServerJar(server.kind, server.version, copy)

    def _backfill(self, prom: Path, bot_port: int) -> None:
        promtool = shutil.which("promtool")
        if not promtool:
            raise StackError("no `promtool` command (backfill): apt-get install prometheus")
        # ends one scrape interval ago, so the first live sample comes after the history
        end = time.time() - 15
        history.write(
            prom / "bot-history.om",
            job="bot",
            instance=f"127.0.0.1:{bot_port}",
            end=end,
            seconds=self.backfill_seconds,
            rate=self.command_rate,
        )
        # the nodes' frames too, under the labels their scrapes get (the file_sd targets' own,
        # the job of the file's directory): the playback burn reads an hour as well
        nodes_sd = json.loads((prom / "targets" / "core" / "nodes.json").read_text())
        node_targets = [
            (t["targets"][0], {k: v for k, v in t["labels"].items() if not k.startswith("__")}) for t in nodes_sd
        ]
        (prom / "frames-history.om").write_text(
            history.frames_history(
                job="lavalink",
                targets=node_targets,
                end=end,
                frames_per_second=50.0 * self.guilds_per_node,
                seconds=self.backfill_seconds,
            )
        )
        for om in ("bot-history.om", "frames-history.om"):
            proc = subprocess.run(
                [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", om, "data"],
                cwd=prom,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if proc.returncode != 0:
                raise StackError(f"promtool backfill of {om} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    def _wait(self, ready, deadline: float, daemon: str, what: str) -> None:
        wait_until(ready, deadline, daemon, what, self.daemons.get(daemon))

    @property
    def children_file(self) -> Path:
        return self.root / "children.json"

    def _record_children(self) -> None:
        """Write who runs (pid and start time of every daemon and node JVM) for `down` to find."""
        running = [(name, d.process) for name, d in self.daemons.items()]
        running += [(name, n.process) for name, n in self.nodes.items()]
        records = [r for name, p in running if p is not None and (r := procs.ProcRecord.of(name, p.pid))]
        procs.write_records(self.children_file, records)

    def restart_node(self, name: str) -> None:
        """Start a stopped node again, on its port, and record its new JVM."""
        n = self.nodes[name]
        if not n.running():
            n.start()
        self._record_children()

    def stop(self) -> None:
        if self.bot is not None:
            self.bot.stop()
        for d in self.daemons.values():
            d.stop()
        for n in self.nodes.values():
            n.stop()
        if self.sim is not None:
            self.sim.stop()
        if self.audio is not None:
            self.audio.stop()
        if self.webhook is not None:
            self.webhook.stop()
        self.children_file.unlink(missing_ok=True)

    # --- Prometheus --------------------------------------------------------------------------
    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['prometheus']}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['alertmanager']}"

    def api(self, path: str, base: str | None = None, **params) -> dict:
        """The data of a Prometheus-API answer, from ``base`` (default: this stack's Prometheus)."""
        return prometheus_api(base or self.prometheus_url, path, **params)

    def targets_up(self) -> bool:
        try:
            active = self.api("/api/v1/targets", state="active")["activeTargets"]
        except (urllib.error.URLError, OSError, StackError):
            return False
        return len(active) == len(self.nodes) + 1 and all(t["health"] == "up" for t in active)

    def urls(self) -> dict[str, str]:
        if self.webhook is None or self.bot is None:
            raise StackError("the stack is not started")
        out = {
            "prometheus": self.prometheus_url,
            "prometheus alerts": f"{self.prometheus_url}/alerts",
            "alertmanager": self.alertmanager_url,
            "webhook receiver": self.webhook.url,
            "webhook log": str(self.root / "alerts.log"),
            "bot metrics": self.bot.metrics_url,
        }
        for name, n in self.nodes.items():
            out[f"{name} metrics"] = n.metrics_url
            out[f"{name} REST"] = f"{n.url}  (password: lavalink.server.password in {n.workdir / 'application.yml'})"
        return out


# --- make metrics-up / metrics-down and the control socket -----------------------------------

PID_FILE, URLS_FILE, CONTROL_SOCKET, LOG_FILE = "stack.pid", "urls.json", "control.sock", "stack.log"


def _supervisor(root: Path) -> procs.ProcRecord | None:
    """The running supervisor named by stack.pid ("PID START"), only if that very process still runs."""
    try:
        pid, start = (int(x) for x in (root / PID_FILE).read_text().split())
    except (OSError, ValueError):
        return None  # missing, or not ours (an older format, or garbage): never signal it
    record = procs.ProcRecord("supervisor", pid, start)
    return record if record.alive() else None


def _print_urls(root: Path) -> None:
    urls = json.loads((root / URLS_FILE).read_text())
    width = max(map(len, urls))
    for name, url in urls.items():
        print(f"  {name.ljust(width)}  {url}")
    print(f"  {'stack log'.ljust(width)}  {root / LOG_FILE}")
    print(f"  {'faults'.ljust(width)}  lavametrics stack fault --help")


# topology -> the module whose `run` supervises it (named, not imported: hastack builds on this one)
TOPOLOGIES = {"single": "lavametrics.devtools.stack", "ha": "lavametrics.devtools.hastack"}


def cmd_up(root: Path, timeout: float, topology: str = "single") -> int:
    root.mkdir(parents=True, exist_ok=True)
    running = _supervisor(root)
    if running is not None and (root / URLS_FILE).is_file():
        print(f"metrics stack: already running (pid {running.pid})")
        _print_urls(root)
        return 0
    if running is not None:
        print(f"metrics stack: error: a supervisor (pid {running.pid}) is still starting; wait or `make metrics-down`")
        return 1
    (root / URLS_FILE).unlink(missing_ok=True)
    log_path = root / LOG_FILE
    with log_path.open("ab") as log:
        offset = log.tell()
        proc = subprocess.Popen(
            [sys.executable, "-m", TOPOLOGIES[topology], "run", "--dir", str(root)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    print(f"metrics stack: starting (pid {proc.pid}, log {log_path})", flush=True)
    started = time.monotonic()
    deadline, quiet_since = started + timeout, started
    while not (root / URLS_FILE).is_file():
        # the supervisor's progress lines ("stack: ..."), as they come
        with log_path.open("rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        offset += len(complete)
        for line in complete.decode(errors="replace").splitlines():
            if line.startswith("stack: "):
                print(f"metrics stack: [{time.monotonic() - started:4.0f}s] {line[len('stack: ') :]}", flush=True)
                quiet_since = time.monotonic()
        if time.monotonic() - quiet_since >= 10:
            print(f"metrics stack: [{time.monotonic() - started:4.0f}s] ... still starting", flush=True)
            quiet_since = time.monotonic()
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-25:])
            print(f"metrics stack: failed to start; {log_path}:\n{tail}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    print(f"metrics stack: up in {time.monotonic() - started:.0f}s")
    _print_urls(root)
    return 0


def cmd_down(root: Path) -> int:
    supervisor = _supervisor(root)
    children = [c for c in procs.read_records(root / "children.json") if c.alive()]
    if supervisor is None and not children:
        for name in (PID_FILE, URLS_FILE, CONTROL_SOCKET, "children.json"):
            (root / name).unlink(missing_ok=True)
        print("metrics stack: not running")
        return 0
    if supervisor is not None:
        supervisor.stop(timeout=60)  # it stops its children itself
    left = [c for c in children if c.alive()]
    for child in left:
        child.stop()
    for name in (PID_FILE, URLS_FILE, CONTROL_SOCKET, "children.json"):
        (root / name).unlink(missing_ok=True)
    if supervisor is None:
        print(f"metrics stack: stopped {', '.join(c.name for c in left)} (the supervisor was already gone)")
    else:
        print("metrics stack: stopped")
    return 0


class ControlServer(socketserver.ThreadingUnixStreamServer):
    """One JSON request per connection on a 0600 unix socket: inject, clear, status."""

    daemon_threads = True

    def __init__(self, path: Path, stack: Stack):
        self.stack = stack
        self.lock = threading.Lock()  # one fault operation at a time
        path.unlink(missing_ok=True)
        old = os.umask(0o177)  # the socket file is born 0600: only this user may drive the stack
        try:
            super().__init__(str(path), _ControlHandler)
        finally:
            os.umask(old)

    def handle_request_json(self, req: dict) -> dict:
        op = req.get("op")
        with self.lock:
            if op == "inject":
                fault = faults.inject(self.stack, str(req.get("kind")), **dict(req.get("params") or {}))
                return {"ok": True, "fault": fault.as_dict()}
            if op == "clear":
                return {"ok": True, "cleared": faults.clear(self.stack)}
            if op == "status":
                return {"ok": True, "faults": [f.as_dict() for f in self.stack.faults.values()]}
        return {"ok": False, "error": f"unknown op {op!r}"}


class _ControlHandler(socketserver.StreamRequestHandler):
    server: ControlServer

    def handle(self) -> None:
        try:
            req = json.loads(self.rfile.readline(65536))
            reply = self.server.handle_request_json(req)
        except (faults.FaultError, NodeError, StackError, TimeoutError) as exc:
            reply = {"ok": False, "error": str(exc)}
        except (ValueError, TypeError, AttributeError) as exc:
            reply = {"ok": False, "error": f"bad request: {exc}"}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


def control(root: Path, request: dict, timeout: float = 240.0) -> dict:
    """Send one request to the running stack's supervisor; its JSON answer (StackError if none)."""
    if _supervisor(root) is None:
        raise StackError(f"no metrics stack runs in {root}: `make metrics-up` first")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(root / CONTROL_SOCKET))
            s.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                part = s.recv(65536)
                if not part:
                    break
                data += part
        except OSError as exc:
            raise StackError(f"{root / CONTROL_SOCKET}: {exc.strerror or exc}") from None
    try:
        reply = json.loads(data)
    except ValueError:
        raise StackError(f"{root / CONTROL_SOCKET}: no answer from the supervisor") from None
    if not reply.get("ok"):
        raise StackError(str(reply.get("error")))
    return reply


def single_stack(root: Path) -> Stack:
    config = MixinConfig()
    # an hour of healthy bot history, so the burn-rate pages read a full window as in production
    return Stack(root, backfill_seconds=duration_seconds(config.slo.fast_windows[0]), config=config)


def cmd_run(root: Path, make_stack=single_stack) -> int:
    """The supervisor: start everything, publish the URLs, serve the control socket until SIGTERM, stop."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    me = procs.ProcRecord.of("supervisor", os.getpid())
    assert me is not None
    (root / PID_FILE).write_text(f"{me.pid} {me.start}\n")
    stack = make_stack(root)
    server: ControlServer | None = None
    try:
        stack.start(progress=lambda msg: print(f"stack: {msg}", flush=True))
        server = ControlServer(root / CONTROL_SOCKET, stack)
        threading.Thread(target=server.serve_forever, name="stack-control", daemon=True).start()
        (root / URLS_FILE).write_text(json.dumps(stack.urls(), indent=2) + "\n")
        print("stack: up", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    except (StackError, NodeError, TimeoutError) as exc:
        print(f"stack: error: {exc}", flush=True)
        return 1
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        stack.stop()
        for name in (PID_FILE, URLS_FILE, CONTROL_SOCKET):
            (root / name).unlink(missing_ok=True)
        print("stack: stopped", flush=True)


def main(argv: list[str] | None = None, topology: str = "single", make_stack=single_stack) -> int:
    p = argparse.ArgumentParser(prog=f"python -m {TOPOLOGIES[topology]}", description=__doc__.splitlines()[0])
    p.add_argument("action", choices=["up", "down", "run"])
    p.add_argument("--dir", default=".stack", help="state directory (default .stack)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds `up` waits for the stack")
    args = p.parse_args(argv)
    root = Path(args.dir).resolve()
    if args.action == "up":
        return cmd_up(root, args.timeout, topology)
    if args.action == "down":
        return cmd_down(root)
    return cmd_run(root, make_stack)


if __name__ == "__main__":
    sys.exit(main())
