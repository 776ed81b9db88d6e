"""``lavametrics config``: show, validate or edit ``plugins.lavametrics`` in application.yml."""

from __future__ import annotations

import sys

from lavametrics.argtypes import path
from lavametrics.cli.output import CliError, dump, table


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
    sp = csub.add_parser(
        "set",
        help="set KEY (dotted, below plugins.lavametrics) to VALUE; several "
        "pairs are written together (e.g. a basic-auth username and password)",
    )
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
            dump(data)
        else:
            enabled = data["metrics.prometheus.enabled"]
            enabled = "(unset)" if enabled is None else str(enabled).lower()
            print(
                f"{data['file']}: metrics.prometheus.enabled={enabled} endpoint={data['metrics.prometheus.endpoint']}"
            )
            rows = [
                [
                    f"plugins.lavametrics.{e['key']}",
                    "" if e["value"] is None else str(e["value"]),
                    e["source"] + (f":{e['line']}" if e["line"] else ""),
                ]
                for e in data["entries"]
            ]
            print(table(rows, ["KEY", "VALUE", "SOURCE"]))
        return 0
    if args.action == "validate":
        report = yamlconfig.validate(args.file, catalog, jar=args.jar, use_jar=use_jar)
        if args.json:
            dump(report.as_dict())
        else:
            for w in report.warnings:
                print(f"warning: {w}", file=sys.stderr)
            for e in report.errors:
                print(str(e))
            print(
                f"{report.file}: {'valid' if report.valid else 'INVALID'} ({report.validator} validator, "
                f"{len(report.errors)} error(s))"
            )
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
        dump(
            {
                "file": args.file,
                "action": args.action,
                "ok": True,
                "changed": result.changed,
                "backup": None if result.backup is None else str(result.backup),
            }
        )
    elif result.changed:
        print(f"{args.file}: {what} (backup: {result.backup})")
    else:
        print(f"{args.file}: {what}: already so, file unchanged")
    return 0
