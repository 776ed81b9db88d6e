"""The local monitoring stack: nodes, a simulated bot, Prometheus, Alertmanager and a webhook.

``make metrics-up`` runs ``python -m lavametrics.devtools.stack up``: a detached supervisor
process starts everything on loopback under ``.stack/`` and writes the URLs to
``.stack/urls.json``; ``up`` again finds it running and only prints them; ``down`` stops it.
The tests use :class:`Stack` in-process, to induce faults and time the alerts.

Everything runs with the generated configuration and the production timings of the mixin
(scrape and evaluation interval, ``for`` durations, Alertmanager group waits), so what pages
here pages as fast in production.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lavametrics.devtools import bothistory as history
from lavametrics.devtools import node as nodes
from lavametrics.devtools.botsim import BotSimulator, SimNode
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.devtools.webhook import WebhookReceiver
from lavametrics.mixin.build import alertmanager_text, files, yaml_text
from lavametrics.mixin.config import MixinConfig
from lavametrics.mixin.stackconfig import JOBS, prometheus_config
from lavametrics.monitor import targets
from lavametrics.monitor.nodesfile import NodeSpec

DEFAULT_PORTS = {"prometheus": 9090, "alertmanager": 9093, "webhook": 9095, "bot": 9096, "node": 2333}
GUILD_BASE = 810_000


class StackError(RuntimeError):
    """The stack could not start; the message names the part and where its log is."""


def prometheus_binary() -> str:
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

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        self.ports: dict[str, int] = {}
        self.nodes: dict[str, nodes.Node] = {}
        self.daemons: dict[str, Daemon] = {}
        self.sim: VoiceSimulator | None = None
        self.bot: BotSimulator | None = None
        self.webhook: WebhookReceiver | None = None

    # --- layout ------------------------------------------------------------------------------
    def _port(self, name: str, offset: int = 0) -> int:
        preferred = DEFAULT_PORTS[name] + offset
        return preferred if self.fixed_ports and _free(preferred) else nodes.free_port()

    def _write_prometheus(self, bot_port: int) -> Path:
        prom = self.root / "prometheus"
        (prom / "rules").mkdir(parents=True, exist_ok=True)
        for rel, text in files(self.config).items():
            if rel.startswith("prometheus/rules/"):
                (prom / "rules" / Path(rel).name).write_text(text)
        used = tuple(j for j in JOBS if j.name in ("lavalink", "bot"))
        cfg = prometheus_config(self.config, alertmanagers=(f"127.0.0.1:{self.ports['alertmanager']}",), jobs=used)
        (prom / "prometheus.yml").write_text(yaml_text(cfg))
        specs = [NodeSpec(name, n.url, n.password, n.metrics_url) for name, n in self.nodes.items()]
        (prom / "targets" / "core").mkdir(parents=True, exist_ok=True)
        targets.write(specs, prom / "targets" / "core" / "nodes.json")
        (prom / "targets" / "bot").mkdir(parents=True, exist_ok=True)
        (prom / "targets" / "bot" / "botsim.json").write_text(
            json.dumps([{"targets": [f"127.0.0.1:{bot_port}"], "labels": {}}], indent=2) + "\n"
        )
        return prom

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
        prometheus, alertmanager = prometheus_binary(), alertmanager_binary()
        for name in ("prometheus", "alertmanager", "webhook", "bot"):
            self.ports[name] = self._port(name)
        self.webhook = WebhookReceiver(port=self.ports["webhook"], log_path=self.root / "alerts.log").start()
        am = self.root / "alertmanager"
        (am / "data").mkdir(parents=True, exist_ok=True)
        (am / "alertmanager.yml").write_text(alertmanager_text(self.config, webhook_url=self.webhook.url))
        self.daemons["alertmanager"] = Daemon(
            "alertmanager",
            [
                alertmanager,
                "--config.file=alertmanager.yml",
                "--storage.path=data",
                f"--web.listen-address=127.0.0.1:{self.ports['alertmanager']}",
                "--cluster.listen-address=",  # no gossip port: a single local instance
            ],
            am,
            am / "alertmanager.log",
        ).start()
        progress("starting the voice simulator and the Lavalink node(s)")
        self.sim = VoiceSimulator(workdir=self.root / "voicesim").start()
        audio = write_tone(self.root / "stack-tone.wav", seconds=600)
        for i, name in enumerate(self.node_names):
            port = self._port("node", i)
            self.nodes[name] = nodes.prepare_node(self.root / name, port=port, jvm_args=self.sim.jvm_args())
        with cf.ThreadPoolExecutor(len(self.nodes)) as pool:  # JVMs start in parallel
            for fut in [pool.submit(n.start) for n in self.nodes.values()]:
                fut.result()
        progress("connecting the simulated bot")
        sim_nodes = [
            SimNode(name, n.url, n.password, tuple(GUILD_BASE + 100 * i + g for g in range(self.guilds_per_node)))
            for i, (name, n) in enumerate(self.nodes.items())
        ]
        self.bot = bot = BotSimulator(
            nodes=sim_nodes, sim=self.sim, audio=str(audio), rate=self.command_rate, port=self.ports["bot"]
        ).start()
        bot.wait_connected(timeout=max(10.0, deadline - time.monotonic()))
        prom = self._write_prometheus(bot.port)
        (prom / "data").mkdir(exist_ok=True)
        if self.backfill_seconds:
            progress(f"backfilling {self.backfill_seconds:.0f}s of bot history")
            self._backfill(prom, bot.port)
        progress("starting Prometheus")
        self.daemons["prometheus"] = Daemon(
            "prometheus",
            [
                prometheus,
                "--config.file=prometheus.yml",
                "--storage.tsdb.path=data",
                f"--web.listen-address=127.0.0.1:{self.ports['prometheus']}",
                # the rules read slo.period back: keep at least that (mixin timings.retention)
                f"--storage.tsdb.retention.time={self.config.timings.retention}",
                "--web.enable-lifecycle",
            ],
            prom,
            prom / "prometheus.log",
        ).start()
        self._wait(lambda: http_ok(f"{self.prometheus_url}/-/ready"), deadline, "prometheus", "/-/ready")
        self._wait(lambda: http_ok(f"{self.alertmanager_url}/-/ready"), deadline, "alertmanager", "/-/ready")
        progress("waiting for every target to be scraped")
        self._wait(self.targets_up, deadline, "prometheus", "every target up")

    def _backfill(self, prom: Path, bot_port: int) -> None:
        promtool = shutil.which("promtool")
        if not promtool:
            raise StackError("no `promtool` command (backfill): apt-get install prometheus")
        # ends one scrape interval ago, so the first live sample comes after the history
        history.write(
            prom / "bot-history.om",
            job="bot",
            instance=f"127.0.0.1:{bot_port}",
            end=time.time() - 15,
            seconds=self.backfill_seconds,
            rate=self.command_rate,
        )
        proc = subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", "bot-history.om", "data"],
            cwd=prom,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            raise StackError(f"promtool backfill failed: {proc.stderr.strip() or proc.stdout.strip()}")

    def _wait(self, ready, deadline: float, daemon: str, what: str) -> None:
        while not ready():
            d = self.daemons.get(daemon)
            if d is not None and not d.running():
                code = d.process.returncode if d.process is not None else None
                raise StackError(f"{daemon} exited ({code}); {d.log}:\n{d.tail()}")
            if time.monotonic() > deadline:
                raise StackError(f"{daemon}: {what} not reached in time; log {d.log if d else '?'}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.bot is not None:
            self.bot.stop()
        for d in self.daemons.values():
            d.stop()
        for n in self.nodes.values():
            n.stop()
        if self.sim is not None:
            self.sim.stop()
        if self.webhook is not None:
            self.webhook.stop()

    # --- Prometheus --------------------------------------------------------------------------
    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['prometheus']}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['alertmanager']}"

    def api(self, path: str, **params) -> dict:
        url = f"{self.prometheus_url}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = json.loads(resp.read())
        if body.get("status") != "success":
            raise StackError(f"{path}: {body.get('error')}")
        return body["data"]

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


# --- make metrics-up / metrics-down ----------------------------------------------------------


def _pid(root: Path) -> int | None:
    try:
        pid = int((root / "stack.pid").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _print_urls(root: Path) -> None:
    urls = json.loads((root / "urls.json").read_text())
    width = max(map(len, urls))
    for name, url in urls.items():
        print(f"  {name.ljust(width)}  {url}")
    print(f"  {'stack log'.ljust(width)}  {root / 'stack.log'}")


def cmd_up(root: Path, timeout: float) -> int:
    root.mkdir(parents=True, exist_ok=True)
    if _pid(root) is not None and (root / "urls.json").is_file():
        print(f"metrics stack: already running (pid {_pid(root)})")
        _print_urls(root)
        return 0
    (root / "urls.json").unlink(missing_ok=True)
    with (root / "stack.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lavametrics.devtools.stack", "run", "--dir", str(root)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    print(f"metrics stack: starting (pid {proc.pid}, log {root / 'stack.log'}) ...", flush=True)
    deadline = time.monotonic() + timeout
    while not (root / "urls.json").is_file():
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            tail = "\n".join((root / "stack.log").read_text(errors="replace").splitlines()[-25:])
            print(f"metrics stack: failed to start; {root / 'stack.log'}:\n{tail}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    print("metrics stack: up")
    _print_urls(root)
    return 0


def cmd_down(root: Path) -> int:
    pid = _pid(root)
    if pid is None:
        print("metrics stack: not running")
        return 0
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while _pid(root) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    if _pid(root) is not None:
        os.killpg(pid, signal.SIGKILL)
    (root / "stack.pid").unlink(missing_ok=True)
    (root / "urls.json").unlink(missing_ok=True)
    print("metrics stack: stopped")
    return 0


def cmd_run(root: Path) -> int:
    """The supervisor: start everything, publish the URLs, wait for SIGTERM, stop everything."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    (root / "stack.pid").write_text(f"{os.getpid()}\n")
    stack = Stack(root)
    try:
        stack.start(progress=lambda msg: print(f"stack: {msg}", flush=True))
        (root / "urls.json").write_text(json.dumps(stack.urls(), indent=2) + "\n")
        print("stack: up", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    except (StackError, nodes.NodeError, TimeoutError) as exc:
        print(f"stack: error: {exc}", flush=True)
        return 1
    finally:
        stack.stop()
        (root / "stack.pid").unlink(missing_ok=True)
        (root / "urls.json").unlink(missing_ok=True)
        print("stack: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lavametrics.devtools.stack", description=__doc__.splitlines()[0])
    p.add_argument("action", choices=["up", "down", "run"])
    p.add_argument("--dir", default=".stack", help="state directory (default .stack)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds `up` waits for the stack")
    args = p.parse_args(argv)
    root = Path(args.dir).resolve()
    if args.action == "up":
        return cmd_up(root, args.timeout)
    if args.action == "down":
        return cmd_down(root)
    return cmd_run(root)


if __name__ == "__main__":
    sys.exit(main())
