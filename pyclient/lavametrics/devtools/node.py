"""Start and stop a real Lavalink v4 node (or the stand-in) with the lavametrics plugin.

Shared by the tests, `make demo` and the benchmarks, so every one of them runs the node the
same way: a scratch working directory holding `application.yml` (the repository's
`Lavalink/application.yml` with overrides) and `plugins/`, then `java -jar <server>`.
Which server jar runs is decided by `Lavalink/run.sh --resolve`, the one place that knows
how to fetch Lavalink-Server.
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from lavametrics import javatools, yamlread
from lavametrics.errors import LavametricsError
from lavametrics.lavalink.rest import LavalinkClient, LavalinkError

DEFAULT_PASSWORD = "youshallnotpass"


class NodeError(LavametricsError, RuntimeError):
    """The node could not be resolved, started or reached."""


def repo_root(start: Path | None = None) -> Path:
    """The checkout this package runs from (the directory holding Lavalink/run.sh)."""
    here = (start or Path(__file__)).resolve()
    for candidate in [here, *here.parents]:
        if (candidate / "Lavalink" / "run.sh").is_file():
            return candidate
    cwd = Path.cwd().resolve()
    for candidate in [cwd, *cwd.parents]:
        if (candidate / "Lavalink" / "run.sh").is_file():
            return candidate
    raise NodeError("cannot find the lavametrics checkout (no Lavalink/run.sh above here)")


@dataclass(frozen=True)
class ServerJar:
    kind: str  # "lavalink" (the real Lavalink-Server) or "standin"
    version: str
    path: Path

    @property
    def is_real_lavalink(self) -> bool:
        return self.kind == "lavalink"


def resolve_server_jar(root: Path | None = None) -> ServerJar:
    root = root or repo_root()
    try:
        # long enough for a first-time fetch or stand-in build on a cold Maven cache
        proc = subprocess.run(
            ["bash", str(root / "Lavalink" / "run.sh"), "--resolve"],
            capture_output=True,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired:
        raise NodeError("Lavalink/run.sh --resolve did not finish within 15 minutes") from None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or len(lines[-1].split(" ", 2)) != 3:
        raise NodeError(f"Lavalink/run.sh --resolve failed: {proc.stderr.strip() or proc.stdout.strip()}")
    kind, version, path = lines[-1].split(" ", 2)
    jar = Path(path)
    if not jar.is_file():
        raise NodeError(f"server jar {jar} does not exist")
    return ServerJar(kind=kind, version=version, path=jar)


def find_plugin_jar(root: Path | None = None) -> Path:
    """The plugin jar the node loads: the one the CLI's catalog and validation read too."""
    try:
        return javatools.find_plugin_jar(start=root or repo_root())
    except javatools.JvmUnavailable as exc:
        raise NodeError(f"{exc}; `make build` builds it") from None


def java_binary() -> str:
    try:
        return str(javatools.java_binary())
    except javatools.JvmUnavailable as exc:
        raise NodeError(str(exc)) from None


def jcmd() -> str:
    """The ``jcmd`` of the JDK whose ``java`` starts the nodes: it attaches to their JVMs."""
    try:
        return str(javatools.jdk_tool("jcmd"))
    except javatools.JvmUnavailable as exc:
        raise NodeError(str(exc)) from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deep_merge(base: dict, overrides: Mapping[str, Any]) -> dict:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _write_yaml(path: Path, data: dict) -> None:
    """Write a node's application.yml readable by its owner only: it holds the node's password."""
    yaml = YAML()
    yaml.default_flow_style = False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as fh:
        yaml.dump(data, fh)


def _load_yaml(path: Path) -> dict:
    """The base application.yml, read like every YAML file the package takes: within
    ``yamlread``'s bounds (a regular file of at most 1 MiB, no alias bomb), one-line errors."""
    try:
        text = yamlread.decode(yamlread.read_bytes(path, "application.yml"), path)
        data = yamlread.load(yamlread.new_yaml(), text, path)
    except yamlread.YamlReadError as exc:
        raise NodeError(str(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise NodeError(f"{path}: top level must be a mapping, not {type(data).__name__}")
    return data


@dataclass
class Node:
    """One running server process. Use `start_node()` or the context manager."""

    workdir: Path
    port: int
    password: str
    server: ServerJar
    plugin: bool
    process: subprocess.Popen | None = None
    config: dict = field(default_factory=dict)
    jvm_args: list[str] = field(default_factory=list)  # e.g. the voice simulator's truststore

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        endpoint = self.config.get("metrics", {}).get("prometheus", {}).get("endpoint", "/metrics")
        return self.url + endpoint

    @property
    def log_path(self) -> Path:
        return self.workdir / "node.log"

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def thread_dump(self, timeout: float = 30) -> str:
        """The node's threads as ``jcmd <pid> Thread.print`` lists them, for a test that timed out
        on the node: what each thread waits for. ``""`` when the node is not running or jcmd fails."""
        if not self.running():
            return ""
        assert self.process is not None
        try:
            done = subprocess.run(
                [jcmd(), str(self.process.pid), "Thread.print"], capture_output=True, text=True, timeout=timeout
            )
        except (NodeError, OSError, subprocess.SubprocessError):
            return ""
        return done.stdout if done.returncode == 0 else ""

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        api = LavalinkClient(self.url, self.password, timeout=2)
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise NodeError(
                    f"node exited with code {code} during start-up; log {self.log_path}:\n" + self.log_tail()
                )
            try:
                api.version()
                return
            except LavalinkError:
                pass  # not listening yet, or still starting up
            time.sleep(0.25)
        self.stop()
        raise NodeError(f"node not ready after {timeout:.0f}s; log {self.log_path}:\n" + self.log_tail())

    def start(self, timeout: float = 90.0) -> Node:
        cmd = [
            java_binary(),
            *os.environ.get("LAVAMETRICS_NODE_JAVA_OPTS", "-Xmx384m").split(),
            *self.jvm_args,
            "-jar",
            str(self.server.path),
        ]
        for attempt in (1, 2):
            log = self.log_path.open("wb")
            # its own session: a Ctrl-C meant for the caller must not kill the node mid-test;
            # stop() ends it instead
            self.process = subprocess.Popen(
                cmd,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            log.close()
            try:
                self._wait_ready(timeout)
                return self
            except NodeError:
                # free_port() cannot reserve the port until the JVM binds it; another process
                # may take it in between, so a lost race gets one retry on a new port
                if attempt == 2 or "Address already in use" not in self.log_tail(200):
                    raise
                self._move_to_port(free_port())
            except BaseException:
                self.stop()  # Ctrl-C or an error while waiting must not leave the JVM behind
                raise
        return self

    def _move_to_port(self, port: int) -> None:
        self.port = port
        self.config["server"]["port"] = port
        _write_yaml(self.workdir / "application.yml", self.config)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def prepare_node(
    workdir: Path | None = None,
    *,
    plugin: bool = True,
    overrides: Mapping[str, Any] | None = None,
    port: int | None = None,
    server: ServerJar | None = None,
    plugin_jar: Path | None = None,
    jvm_args: list[str] | None = None,
) -> Node:
    """Lay out a working directory for a node without starting it."""
    root = repo_root()
    workdir = Path(workdir or tempfile.mkdtemp(prefix="lavametrics-node-"))
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    config = deep_merge(_load_yaml(root / "Lavalink" / "application.yml"), overrides or {})
    config.setdefault("server", {})["port"] = port
    config["server"].setdefault("address", "127.0.0.1")
    if not plugin:
        config.pop("plugins", None)
    _write_yaml(workdir / "application.yml", config)
    plugins_dir = workdir / "plugins"
    if plugins_dir.exists():
        shutil.rmtree(plugins_dir)
    plugins_dir.mkdir()
    if plugin:
        jar = plugin_jar or find_plugin_jar(root)
        shutil.copy2(jar, plugins_dir / jar.name)
    password = config.get("lavalink", {}).get("server", {}).get("password", DEFAULT_PASSWORD)
    return Node(
        workdir=workdir,
        port=port,
        password=str(password),
        server=server or resolve_server_jar(root),
        plugin=plugin,
        config=config,
        jvm_args=list(jvm_args or []),
    )


def start_node(**kwargs: Any) -> Node:
    timeout = kwargs.pop("timeout", 90.0)
    return prepare_node(**kwargs).start(timeout=timeout)
