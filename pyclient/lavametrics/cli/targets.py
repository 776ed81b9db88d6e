"""``lavametrics targets``: Prometheus file_sd targets for the nodes in a nodes file."""

from __future__ import annotations

import sys

from lavametrics.argtypes import path


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
