"""Command line front end: parse arguments, call the library, print. No logic lives here.

Each subcommand is one ``add_<name>(subparsers)`` function listed in ``COMMANDS``.

Exit codes: 0 ok, 1 unhealthy/invalid, 2 usage, I/O or connection error. Every option value
is checked by its ``type=`` (``argtypes``): a bad one is a one-line usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from lavametrics import __version__
from lavametrics.cli.argtypes import Parser, integer, path, port, seconds

PROG = "lavametrics"


class CliError(Exception):
    """Reported as one line on stderr; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def err(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def _dump(obj) -> None:
    print(json.dumps(obj, indent=2, sort_keys=False, default=str))


# --- check -------------------------------------------------------------------------------

def add_check(sub) -> None:
    p = sub.add_parser("check", help="check a node and its lavametrics plugin")
    p.add_argument("url", nargs="?", help="Lavalink base URL, e.g. http://127.0.0.1:2333")
    p.add_argument("--password", default=os.environ.get("LAVALINK_PASSWORD"),
                   help="Lavalink password (default: $LAVALINK_PASSWORD)")
    p.add_argument("--metrics-url", help="metrics endpoint (default: URL/metrics)")
    p.add_argument("--metrics-user", help="basic auth user of the plugin's own endpoint")
    p.add_argument("--metrics-password", help="basic auth password of the plugin's own endpoint")
    p.add_argument("--metrics-bearer", help="bearer token of the plugin's own endpoint")
    p.add_argument("--nodes", type=path, help="nodes YAML file (instead of URL)")
    p.add_argument("--timeout", type=seconds(), default=5.0, help="seconds per request (default 5, at most 3600)")
    p.add_argument("--jar", type=path, help="read the expected catalog from this plugin jar")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_check)


def run_check(args) -> int:
    from lavametrics.config.catalog import load_catalog
    from lavametrics.monitor.nodecheck import ERROR, check_node, overall_status
    from lavametrics.monitor.nodesfile import NodeSpec, default_metrics_url, load_nodes, url_problem
    from lavametrics.httpfetch import Auth, redact_url

    if args.nodes and args.url:
        raise CliError("give either URL or --nodes, not both")
    if args.nodes:
        nodes = load_nodes(args.nodes)
    elif args.url:
        if args.password is None:
            raise CliError("--password is required (or set $LAVALINK_PASSWORD)")
        auth = None
        if args.metrics_bearer and args.metrics_user:
            raise CliError("--metrics-user and --metrics-bearer are exclusive")
        if args.metrics_bearer:
            auth = Auth(bearer_token=args.metrics_bearer)
        elif args.metrics_user:
            auth = Auth(username=args.metrics_user, password=args.metrics_password or "")
        url = args.url.rstrip("/")
        for what, value in (("URL", url), ("--metrics-url", args.metrics_url)):
            if value is not None and url_problem(value):
                raise CliError(f"{what} {redact_url(value)!r}: {url_problem(value)}")
        nodes = [NodeSpec("node", url, args.password, args.metrics_url or default_metrics_url(url), auth,
                          own_endpoint=auth is not None)]
    else:
        raise CliError("give a node URL or --nodes FILE")
    catalog = load_catalog(jar=args.jar, prefer_jar=args.jar is not None)
    reports = [check_node(n, catalog, timeout=n.timeout or args.timeout) for n in nodes]
    status = overall_status(reports)
    if args.json:
        _dump({"status": status, "healthy": status == 0, "nodes": [r.as_dict() for r in reports]})
    else:
        rows = []
        for r in reports:
            for c in r.results:
                rows.append([r.node, c.name, "OK" if c.ok else "FAIL", c.detail])
        print(table(rows, ["NODE", "CHECK", "STATUS", "DETAIL"]))
        for r in reports:
            word = {0: "HEALTHY", 1: "UNHEALTHY", 2: "ERROR"}[r.status]
            print(f"{r.node}: {word}" + ("" if r.status == 0 else f" ({r.reason})"))
    for r in reports:
        if r.status == ERROR:
            err(f"{r.node} ({r.url}): {r.reason}")
    return status


# --- config ------------------------------------------------------------------------------

def add_config(sub) -> None:
    p = sub.add_parser("config", help="show, validate or edit plugins.lavametrics in application.yml")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(sp):
        sp.add_argument("--file", type=path, default="application.yml", help="path of application.yml")
        sp.add_argument("--jar", type=path, help="validate with this plugin jar (default: search for one)")
        sp.add_argument("--no-jar", action="store_true", help="use the pure-Python validator only")
        sp.add_argument("--json", action="store_true")
        sp.set_defaults(func=run_config)

    common(csub.add_parser("show", help="effective settings, secrets masked"))
    common(csub.add_parser("validate", help="validate the section (exit 1 when invalid)"))
    common(csub.add_parser("enable", help="turn on metrics.prometheus at /metrics and the plugin groups"))
    common(csub.add_parser("disable", help="turn every plugin group and its endpoint off"))
    sp = csub.add_parser("set", help="set KEY (dotted, below plugins.lavametrics) to VALUE; several "
                                     "pairs are written together (e.g. a basic-auth username and password)")
    sp.add_argument("assignments", nargs="+", metavar="KEY VALUE")
    common(sp)


def run_config(args) -> int:
    from lavametrics.config import yamledit as yamlconfig
    from lavametrics.config.catalog import load_catalog

    catalog = load_catalog(prefer_jar=False)
    use_jar = not args.no_jar
    if args.action == "show":
        data = yamlconfig.show(args.file, catalog)
        if args.json:
            _dump(data)
        else:
            enabled = data["metrics.prometheus.enabled"]
            enabled = "(unset)" if enabled is None else str(enabled).lower()
            print(f"{data['file']}: metrics.prometheus.enabled={enabled} "
                  f"endpoint={data['metrics.prometheus.endpoint']}")
            rows = [[f"plugins.lavametrics.{e['key']}", "" if e["value"] is None else str(e["value"]),
                     e["source"] + (f":{e['line']}" if e["line"] else "")] for e in data["entries"]]
            print(table(rows, ["KEY", "VALUE", "SOURCE"]))
        return 0
    if args.action == "validate":
        report = yamlconfig.validate(args.file, catalog, jar=args.jar, use_jar=use_jar)
        if args.json:
            _dump(report.as_dict())
        else:
            for w in report.warnings:
                print(f"warning: {w}", file=sys.stderr)
            for e in report.errors:
                print(str(e))
            print(f"{report.file}: {'valid' if report.valid else 'INVALID'} ({report.validator} validator, "
                  f"{len(report.errors)} error(s))")
        return 0 if report.valid else 1
    if args.action == "set":
        pairs = args.assignments
        if len(pairs) % 2:
            raise CliError(f"config set takes KEY VALUE pairs; {pairs[-1]!r} has no value")
        assignments = list(zip(pairs[::2], pairs[1::2]))
        result = yamlconfig.set_values(args.file, assignments, catalog, jar=args.jar, use_jar=use_jar)
        what = "set " + ", ".join(key for key, _ in assignments)
    elif args.action == "enable":
        result = yamlconfig.enable(args.file, catalog, jar=args.jar, use_jar=use_jar)
        what = "enabled"
    else:
        result = yamlconfig.disable(args.file, catalog, jar=args.jar, use_jar=use_jar)
        what = "disabled"
    if args.json:
        _dump({"file": args.file, "action": args.action, "ok": True, "changed": result.changed,
               "backup": None if result.backup is None else str(result.backup)})
    elif result.changed:
        print(f"{args.file}: {what} (backup: {result.backup})")
    else:
        print(f"{args.file}: {what}: already so, file unchanged")
    return 0


# --- serve / targets ---------------------------------------------------------------------

def add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve the merged metrics of all nodes")
    p.add_argument("--nodes", type=path, required=True, help="nodes YAML file")
    p.add_argument("--port", type=port, default=9478, help="port to listen on (0: a free one)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--timeout", type=seconds(), default=5.0, help="per-node scrape timeout in seconds")
    p.add_argument("--web.config.file", dest="web_config_file", metavar="PATH", type=path,
                   help="exporter-toolkit web configuration file (TLS, basic auth, headers)")
    p.add_argument("--web.max-connections", dest="max_connections", type=integer(1, 100_000), default=64,
                   metavar="N", help="connections served at once; more wait (default 64)")
    p.add_argument("--body-size-limit", default="20MiB", metavar="SIZE",
                   help="largest metrics body read from one node, e.g. 20MiB, 512KiB (default 20MiB)")
    p.set_defaults(func=run_serve)


def run_serve(args) -> int:
    from lavametrics.monitor.nodesfile import load_nodes
    from lavametrics.monitor.serve import parse_size, serve
    from lavametrics.webconfig import WebConfigError

    try:
        max_body = parse_size(args.body_size_limit)
    except ValueError:
        raise CliError(f"--body-size-limit {args.body_size_limit!r}: expected a positive size such as "
                       "20MiB, 512KiB or a number of bytes") from None
    nodes = load_nodes(args.nodes)
    try:
        return serve(nodes, args.host, args.port, args.timeout, web_config_file=args.web_config_file,
                     max_connections=args.max_connections, max_body_bytes=max_body)
    except WebConfigError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None


def add_targets(sub) -> None:
    p = sub.add_parser("targets", help="write Prometheus file_sd JSON for the nodes")
    p.add_argument("--nodes", type=path, required=True, help="nodes YAML file")
    p.add_argument("--out", type=path, help="output file (default: stdout)")
    p.set_defaults(func=run_targets)


def run_targets(args) -> int:
    from lavametrics.monitor import targets
    from lavametrics.monitor.nodesfile import load_nodes

    nodes = load_nodes(args.nodes)
    if args.out:
        targets.write(nodes, args.out)
        print(f"{args.out}: {len(nodes)} target(s)", file=sys.stderr)
    else:
        sys.stdout.write(targets.render(nodes))
    return 0


# --- catalog -----------------------------------------------------------------------------

def add_catalog(sub) -> None:
    p = sub.add_parser("catalog", help="list the metric families the plugin exports")
    p.add_argument("--jar", type=path, help="plugin jar (default: $LAVAMETRICS_JAR or the repository build)")
    p.add_argument("--packaged", action="store_true", help="show the packaged copy, no JVM needed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_catalog)


def run_catalog(args) -> int:
    from lavametrics.config import catalog as cat
    from lavametrics.javatools import JvmUnavailable

    if args.packaged:
        text = cat.packaged_json()
    elif args.jar:
        text = cat.jar_json(args.jar)
    else:
        try:
            text = cat.jar_json(None)
        except JvmUnavailable as exc:
            # without a jar or JVM the copy shipped with this package is the best answer
            print(f"{PROG}: note: showing the packaged catalog ({exc})", file=sys.stderr)
            text = cat.packaged_json()
    data = json.loads(text)
    if args.json:
        print(text.rstrip())
        return 0
    c = cat.from_dict(data)
    rows = [[f.name, f.type, f.group, ",".join(f.label_names)] for f in c.families]
    print(table(rows, ["FAMILY", "TYPE", "GROUP", "LABELS"]))
    print(f"{len(c.families)} families, {len(c.config)} config keys, plugin {c.plugin_name} {c.plugin_version}")
    return 0


# --- loadtest ----------------------------------------------------------------------------

def add_loadtest(sub) -> None:
    p = sub.add_parser("loadtest", help="stream audio to N simulated Discord guilds and measure the node")
    p.add_argument("--url", help="Lavalink base URL (the node must trust the simulator: see --jvm-args)")
    p.add_argument("--password", default=os.environ.get("LAVALINK_PASSWORD"),
                   help="Lavalink password (default: $LAVALINK_PASSWORD)")
    p.add_argument("--metrics-url", help="the plugin's metrics (default: URL/metrics)")
    p.add_argument("--players", type=integer(1, 10000), default=10, help="simulated guilds (default 10)")
    # at most an hour: the generated tone is built in memory (about 0.7 GB for an hour)
    p.add_argument("--seconds", type=seconds(), default=30.0,
                   help="measurement time after connecting (default 30, at most 3600)")
    p.add_argument("--audio", help="identifier the node can load (default: a generated WAV; local nodes only)")
    p.add_argument("--sim-dir", type=path, default=os.path.expanduser("~/.cache/lavametrics/voicesim"),
                   help="keeps the simulator's certificate and JVM truststore between runs")
    p.add_argument("--jvm-args", action="store_true",
                   help="print the JVM flags a node needs to trust the simulator, then exit")
    p.add_argument("--start-node", action="store_true",
                   help="start a local node with the plugin (from this checkout) instead of --url")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_loadtest)


def run_loadtest(args) -> int:
    import tempfile
    from pathlib import Path

    from lavametrics.devtools import loadtest
    from lavametrics.devtools.node import NodeError, start_node
    from lavametrics.httpfetch import redact_url
    from lavametrics.devtools.voicesim import VoiceSimulator

    if not (args.jvm_args or args.start_node or (args.url and args.password)):
        raise CliError("give --url and --password, or --start-node")
    sim_dir = Path(args.sim_dir)
    with VoiceSimulator(workdir=sim_dir) as sim, tempfile.TemporaryDirectory(prefix="lavametrics-loadtest-") as scratch:
        if args.jvm_args:
            print(" ".join(sim.jvm_args()))
            return 0
        node = None
        try:
            if args.start_node:
                print("loadtest: starting a local node ...", file=sys.stderr, flush=True)
                try:
                    node = start_node(workdir=Path(scratch), jvm_args=sim.jvm_args())
                except NodeError as exc:
                    raise CliError(str(exc)) from exc
                url, password, metrics_url = node.url, node.password, node.metrics_url
            else:
                url, password, metrics_url = args.url, args.password, args.metrics_url
            audio = args.audio or str(loadtest.make_audio(sim_dir, args.seconds))
            print(f"loadtest: {args.players} players for {args.seconds:.0f}s on {redact_url(url)}", file=sys.stderr,
                  flush=True)
            report = loadtest.run(
                url, password, sim, players=args.players, seconds=args.seconds, audio=audio,
                metrics_url=metrics_url,
                progress=lambda sample, connected: print(loadtest.format_sample(sample, connected, args.players),
                                                         file=sys.stderr, flush=True),
            )
        finally:
            if node is not None:
                node.stop()
    if args.json:
        _dump(report.as_dict())
    else:
        print(loadtest.format_report(report))
    return 0 if report.connected_players == args.players else 1


# --- voicesim / demo --------------------------------------------------------------------

def add_voicesim(sub) -> None:
    from lavametrics.devtools.voicesim.__main__ import DESCRIPTION, add_arguments, run

    p = sub.add_parser("voicesim", help="run the Discord voice server simulator on loopback",
                       description=DESCRIPTION)
    add_arguments(p)
    p.set_defaults(func=run)


def add_demo(sub) -> None:
    p = sub.add_parser("demo", help="start a node with the plugin, stream audio, print the check report")
    p.set_defaults(func=run_demo)


def run_demo(args) -> int:
    from lavametrics.devtools.demo import main as demo_main

    return demo_main()


COMMANDS = [add_check, add_config, add_serve, add_targets, add_catalog, add_loadtest, add_voicesim, add_demo]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Prometheus monitoring for Lavalink v4 nodes")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from lavametrics.javatools import JvmUnavailable
    from lavametrics.lavalink.rest import LavalinkError
    from lavametrics.monitor.nodesfile import NodesFileError
    from lavametrics.monitor.scrape import ScrapeError
    from lavametrics.lavalink.session import SessionError
    from lavametrics.config.yamledit import ConfigError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        err(str(exc))
        return exc.code
    except (JvmUnavailable, NodesFileError, ConfigError, LavalinkError, ScrapeError, SessionError) as exc:
        err(str(exc))
        return 2
    except BrokenPipeError:  # before OSError, of which it is one
        # the reader (e.g. `| head`) went away: stop quietly, as a shell tool killed by SIGPIPE would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        err(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": "))
        return 2
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        if exc.name != "websockets":
            raise
        err(f"{args.command} needs the simulator's dependencies: install lavametrics[sim]")
        return 2

