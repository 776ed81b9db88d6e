"""``lavametrics catalog``: the metric families the plugin exports."""

from __future__ import annotations

import json
import sys

from lavametrics.argtypes import path
from lavametrics.cli.output import PROG, table


def add_catalog(sub) -> None:
    p = sub.add_parser("catalog", help="list the metric families the plugin exports")
    p.add_argument("--jar", type=path, help="plugin jar (default: $LAVAMETRICS_JAR or the repository build)")
    p.add_argument("--packaged", action="store_true", help="show the packaged copy, no JVM needed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_catalog)


def run_catalog(args) -> int:
    from lavametrics.config import catalog
    from lavametrics.javatools import JvmUnavailable

    if args.packaged:
        text = catalog.packaged_json()
    elif args.jar:
        text = catalog.jar_json(args.jar)
    else:
        try:
            text = catalog.jar_json(None)
        except JvmUnavailable as exc:
            # without a jar or JVM the copy shipped with this package is the best answer
            print(f"{PROG}: note: showing the packaged catalog ({exc})", file=sys.stderr)
            text = catalog.packaged_json()
    data = json.loads(text)
    if args.json:
        print(text.rstrip())
        return 0
    c = catalog.from_dict(data)
    rows = [[f.name, f.type, f.group, ",".join(f.label_names)] for f in c.families]
    print(table(rows, ["FAMILY", "TYPE", "GROUP", "LABELS"]))
    print(f"{len(c.families)} families, {len(c.config)} config keys, plugin {c.plugin_name} {c.plugin_version}")
    return 0
