"""``lavametrics config``: show, validate or edit ``plugins.lavametrics`` in application.yml.

The plugin's own validator judges (``lavametrics.config.validate``). Exit codes: ``validate``
0 valid, 1 invalid, 2 not validated (no Java or no plugin jar: nothing was checked, and a CI
step must not pass on that) or an unreadable file; an edit 0 when written, even unvalidated
(it says so on stderr: the edit itself is safe, atomic and backed up), 2 when refused.
"""

from __future__ import annotations

import sys

from lavametrics.argtypes import path
from lavametrics.cli.output import PROG, CliError, dump, table


def add_config(sub) -> None:
    p = sub.add_parser("config", help="show, validate or edit plugins.lavametrics in application.yml")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(sp, edit: bool = False):
        sp.add_argument("--file", type=path, default="application.yml", help="path of application.yml")
        sp.add_argument(
            "--jar",
            type=path,
            help="validate with this plugin jar (default: $LAVAMETRICS_JAR, a checkout's build, "
            "then the plugins/ directory beside --file)",
        )
        if edit:
            sp.add_argument(
                "--no-validate", action="store_true", help="write without asking the plugin's validator (says so)"
            )
        sp.add_argument("--json", action="store_true")
        sp.set_defaults(func=run_config, no_validate=False)

    common(csub.add_parser("show", help="effective settings, secrets masked"))
    common(
        csub.add_parser(
            "validate", help="validate the section with the plugin's validator (exit 1 invalid, 2 not validated)"
        )
    )
    common(csub.add_parser("enable", help="turn on metrics.prometheus at /metrics and the plugin groups"), edit=True)
    common(csub.add_parser("disable", help="turn every plugin group and its endpoint off"), edit=True)
    sp = csub.add_parser(
        "set",
        help="set KEY (dotted, below plugins.lavametrics) to VALUE; several "
        "pairs are written together (e.g. a basic-auth username and password)",
    )
    sp.add_argument("assignments", nargs="+", metavar="KEY VALUE")
    common(sp, edit=True)


def run_config(args) -> int:
    from lavametrics.config import application_yml
    from lavametrics.config.catalog import load_catalog

    catalog = load_catalog(prefer_jar=False)
    validate = not args.no_validate
    if args.action == "show":
        data = application_yml.show(args.file, catalog)
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
        report = application_yml.validate(args.file, jar=args.jar)
        if args.json:
            dump(report.as_dict())
        else:
            for w in report.warnings:
                print(f"warning: {w}", file=sys.stderr)
            for e in report.errors:
                print(str(e))
            if report.not_validated:
                print(f"{PROG}: {report.not_validated}", file=sys.stderr)
            else:
                print(
                    f"{report.file}: {'valid' if report.valid else 'INVALID'} "
                    f"({len(report.errors)} error(s); plugin validator {report.validator})"
                )
        return 2 if report.valid is None else 0 if report.valid else 1
    if args.action == "set":
        pairs = args.assignments
        if len(pairs) % 2:
            raise CliError(f"config set takes KEY VALUE pairs; {pairs[-1]!r} has no value")
        assignments = list(zip(pairs[::2], pairs[1::2]))
        result = application_yml.set_values(args.file, assignments, catalog, jar=args.jar, validate=validate)
        what = "set " + ", ".join(key for key, _ in assignments)
    elif args.action == "enable":
        result = application_yml.enable(args.file, catalog, jar=args.jar, validate=validate)
        what = "enabled"
    else:
        result = application_yml.disable(args.file, catalog, jar=args.jar, validate=validate)
        what = "disabled"
    if args.json:
        dump(
            {
                "file": args.file,
                "action": args.action,
                "ok": True,
                "changed": result.changed,
                "backup": None if result.backup is None else str(result.backup),
                "validator": result.validator,
                "notValidated": result.not_validated,
            }
        )
    elif result.changed:
        print(f"{args.file}: {what} (backup: {result.backup})")
    else:
        print(f"{args.file}: {what}: already so, file unchanged")
    if result.not_validated and not args.json:
        print(f"{PROG}: {result.not_validated}", file=sys.stderr)
    return 0
