"""``lavametrics serve``: one endpoint with the merged metrics of all nodes."""

from __future__ import annotations

from lavametrics.argtypes import integer, path, port, seconds
from lavametrics.cli.output import CliError


def add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve the merged metrics of all nodes")
    p.add_argument("--nodes", type=path, required=True, help="nodes YAML file")
    p.add_argument("--port", type=port, default=9478, help="port to listen on (0: a free one)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--timeout", type=seconds(), default=5.0, help="per-node scrape timeout in seconds")
    p.add_argument(
        "--web.config.file",
        dest="web_config_file",
        metavar="PATH",
        type=path,
        help="exporter-toolkit web configuration file (TLS, basic auth, headers)",
    )
    p.add_argument(
        "--web.max-connections",
        dest="max_connections",
        type=integer(1, 100_000),
        default=64,
        metavar="N",
        help="connections served at once; more wait (default 64)",
    )
    p.add_argument(
        "--body-size-limit",
        default="20MiB",
        metavar="SIZE",
        help="largest metrics body read from one node, e.g. 20MiB, 512KiB (default 20MiB)",
    )
    p.add_argument(
        "--series-limit",
        dest="series_limit",
        type=integer(1, 100_000_000),
        metavar="N",
        # the default is collector.MAX_SERIES, not imported here: the CLI starts without it
        help="most samples taken from one node; more fail that node's scrape (default 100000)",
    )
    p.set_defaults(func=run_serve)


def run_serve(args) -> int:
    from lavametrics.monitor.merge import MAX_SERIES
    from lavametrics.monitor.nodesfile import load_nodes
    from lavametrics.monitor.serve import parse_size, serve

    try:
        max_body = parse_size(args.body_size_limit)
    except ValueError:
        raise CliError(
            f"--body-size-limit {args.body_size_limit!r}: expected a positive size such as "
            "20MiB, 512KiB or a number of bytes"
        ) from None
    nodes = load_nodes(args.nodes)
    try:
        return serve(
            nodes,
            args.host,
            args.port,
            args.timeout,
            web_config_file=args.web_config_file,
            max_connections=args.max_connections,
            max_body_bytes=max_body,
            max_series=args.series_limit or MAX_SERIES,
        )
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
