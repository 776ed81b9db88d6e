"""``lavametrics check``: verify a node and its plugin."""

from __future__ import annotations

import os

from lavametrics.argtypes import path, seconds
from lavametrics.cli.output import CliError, dump, err


def add_check(sub) -> None:
    p = sub.add_parser("check", help="check a node and its lavametrics plugin")
    p.add_argument("url", nargs="?", help="Lavalink base URL, e.g. http://127.0.0.1:2333")
    p.add_argument(
        "--password",
        default=os.environ.get("LAVALINK_PASSWORD"),
        help="Lavalink password (default: $LAVALINK_PASSWORD)",
    )
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
    from lavametrics.monitor.nodecheck import ERROR, check_node, overall_status, render_text
    from lavametrics.monitor.nodesfile import load_nodes, node_from_flags

    if args.nodes and args.url:
        raise CliError("give either URL or --nodes, not both")
    if args.nodes:
        nodes = load_nodes(args.nodes)
    elif args.url:
        if args.password is None:
            raise CliError("--password is required (or set $LAVALINK_PASSWORD)")
        nodes = [
            node_from_flags(
                args.url,
                args.password,
                args.metrics_url,
                metrics_user=args.metrics_user,
                metrics_password=args.metrics_password,
                metrics_bearer=args.metrics_bearer,
            )
        ]
    else:
        raise CliError("give a node URL or --nodes FILE")
    catalog = load_catalog(jar=args.jar, prefer_jar=args.jar is not None)
    reports = [check_node(n, catalog, timeout=n.timeout or args.timeout) for n in nodes]
    status = overall_status(reports)
    if args.json:
        dump({"status": status, "healthy": status == 0, "nodes": [r.as_dict() for r in reports]})
    else:
        print(render_text(reports))
    for r in reports:
        if r.status == ERROR:
            err(f"{r.node} ({r.url}): {r.reason}")
    return status
