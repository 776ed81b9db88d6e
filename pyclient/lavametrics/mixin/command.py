"""``lavametrics mixin``: build the monitoring tree, check it for drift, render dashboards.

Kept here rather than in ``lavametrics.cli`` so the CLI only registers the subcommand.
"""

from __future__ import annotations

import argparse
import json
import sys

from lavametrics.errors import LavametricsError

DESCRIPTION = "Prometheus rules, Alertmanager and Grafana dashboards for lavametrics, generated from code."


class MixinUsageError(LavametricsError):
    """A one-line problem with the arguments or their files (exit 2)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="mixin_action", required=True, metavar="ACTION")
    b = sub.add_parser("build", help="write prometheus/, alertmanager/ and grafana/ under --out")
    b.add_argument("--out", required=True, help="directory to write (e.g. monitoring)")
    b.add_argument("--config", help="mixin.yml with selectors, thresholds and windows (default: built-in)")
    b.add_argument("--json", action="store_true")
    d = sub.add_parser("diff", help="exit 1 when --out differs from what build would write")
    d.add_argument("--out", required=True)
    d.add_argument("--config")
    d.add_argument("--json", action="store_true")
    sub.add_parser("defaults", help="print every mixin.yml key with its default")
    r = sub.add_parser("render", help="draw each dashboard from a Prometheus into one PNG (OUT/<uid>.png)")
    r.add_argument("--prometheus", required=True, help="Prometheus base URL, e.g. http://127.0.0.1:9090")
    r.add_argument("--out", required=True, help="directory for the PNGs (one per dashboard, in its grid layout)")
    r.add_argument("--config")
    r.add_argument("--minutes", type=float, default=30.0, help="time range ending now (default 30)")
    r.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=REGEX",
        help="value of a dashboard variable (default: all, '.*'); repeatable",
    )
    r.add_argument("--json", action="store_true")


def _config(path):
    from lavametrics.mixin.config import load

    return load(path)


def run(args) -> int:
    if args.mixin_action == "defaults":
        from lavametrics.mixin.config import defaults_yaml

        sys.stdout.write(defaults_yaml())
        return 0
    config = _config(getattr(args, "config", None))
    if args.mixin_action == "build":
        from lavametrics.mixin.build import write

        paths = write(config, args.out)
        if args.json:
            print(json.dumps({"out": args.out, "files": [str(p) for p in paths]}, indent=2))
        else:
            print(f"{args.out}: wrote {len(paths)} file(s)", file=sys.stderr)
        return 0
    if args.mixin_action == "diff":
        from lavametrics.mixin.build import drift

        problems = drift(config, args.out)
        if args.json:
            print(json.dumps({"out": args.out, "up_to_date": not problems, "problems": problems}, indent=2))
        else:
            for line in problems:
                print(line)
            rebuild = f"lavametrics mixin build --out {args.out}" + (f" --config {args.config}" if args.config else "")
            print(
                f"{args.out}: {'up to date' if not problems else f'{len(problems)} file(s) stale'}"
                + ("" if not problems else f"; run `{rebuild}`"),
                file=sys.stderr,
            )
        return 1 if problems else 0
    if args.mixin_action == "render":
        from lavametrics.mixin.render import render_all

        variables = {}
        for item in args.var:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise MixinUsageError(f"--var {item!r}: expected NAME=REGEX")
            variables[name] = value
        if args.minutes <= 0:
            raise MixinUsageError(f"--minutes must be positive, got {args.minutes}")
        report = render_all(config, args.prometheus, args.out, minutes=args.minutes, variables=variables)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            for d in report["dashboards"]:
                empty = [p["title"] for p in d["panels"] if not p["series"]]
                print(f"{d['file']}: {len(d['panels'])} panel(s)" + (f", empty: {', '.join(empty)}" if empty else ""))
        return 0
    raise MixinUsageError(f"unknown action {args.mixin_action!r}")
