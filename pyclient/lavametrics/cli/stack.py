"""``lavametrics stack``: the local monitoring stack of ``make metrics-up``, and faults to page with.

``stack fault KIND`` injects a fault into the running stack (through its supervisor), prints
the alert it should page, then waits and prints the time until the stack's webhook receiver
got the page, clears the fault and times the resolved notification; ``--no-wait`` only
injects, ``stack fault clear`` undoes. ``stack drill`` repeats every fault and prints the
table of docs/monitoring/operations-guide.md#fault-drills. Devtools: needs a checkout.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

from lavametrics.argtypes import integer, path, seconds
from lavametrics.cli.devtools_gate import add_unavailable, devtools_present
from lavametrics.cli.output import CliError, dump


def _kind(raw: str) -> str:
    from lavametrics.devtools.faults import KINDS

    if raw not in KINDS:
        raise argparse.ArgumentTypeError(f"{raw!r}: not a fault (one of {', '.join(KINDS)})")
    return raw


def _share(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{raw!r}: must be a share from 0 (exclusive) to 1")
    return value


def add_stack(sub) -> None:
    help_text = "the local monitoring stack (make metrics-up) and its fault drills"
    if not devtools_present():
        add_unavailable(sub, "stack", help_text)
        return
    from lavametrics.devtools.faults import KINDS

    p = sub.add_parser("stack", help=help_text)
    ssub = p.add_subparsers(dest="stack_command", required=True, metavar="ACTION")

    def with_dir(q) -> None:
        q.add_argument("--dir", type=path, default=".stack", help="the stack's state directory (default .stack)")

    up = ssub.add_parser("up", help="start the stack (what make metrics-up runs)")
    with_dir(up)
    up.add_argument("--timeout", type=seconds(), default=300.0, help="seconds to wait for it (default 300)")
    up.add_argument(
        "--topology",
        choices=("single", "ha"),
        default="single",
        help="single: one Prometheus and Alertmanager (default); ha: a Prometheus pair, a two-member "
        "Alertmanager cluster, VictoriaMetrics and vmalert, on free ports (needs victoria-metrics)",
    )
    up.set_defaults(func=run_up)
    down = ssub.add_parser("down", help="stop the stack and every process it started")
    with_dir(down)
    down.set_defaults(func=run_down)

    f = ssub.add_parser(
        "fault",
        help="inject a fault and time the page it causes",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    f.add_argument("kind", choices=(*KINDS, "clear", "status"), help="the fault; `clear` undoes every fault")
    with_dir(f)
    _fault_options(f)
    f.add_argument("--no-wait", action="store_true", help="inject and return; `stack fault clear` undoes it")
    f.add_argument("--json", action="store_true", help="print the result as JSON")
    f.set_defaults(func=run_fault)

    d = ssub.add_parser("drill", help="run faults several times and print the timings table")
    d.add_argument(
        "kinds", nargs="*", type=_kind, metavar="KIND", help=f"faults to run (default: all of {', '.join(KINDS)})"
    )
    with_dir(d)
    _fault_options(d)
    d.add_argument("--runs", type=integer(1, 100, "a number of runs"), default=5, help="runs per fault (default 5)")
    d.add_argument("--json", action="store_true", help="print every run and the summary as JSON")
    d.set_defaults(func=run_drill)


def _fault_options(p) -> None:
    p.add_argument("--node", help="the node to hit (every fault but the bot's and frame-loss; default: the first)")
    p.add_argument("--share", type=_share, help="command-errors: share failing (0.3); frame-loss: share lost (0.3)")
    p.add_argument(
        "--seconds",
        type=seconds(600),
        help="slow-commands: how long each command takes (3); node-blip, node-flap: how long a freeze lasts (20); "
        "slow-voice: how late the voice server answers (4)",
    )
    p.add_argument("--code", type=integer(4000, 4999, "a voice close code"), help="voice-closes: code (4006)")
    p.add_argument(
        "--status",
        type=integer(400, 499, "an HTTP status"),
        help="source-blocked: the status the source answers (403; 429 rate-limits, 401 wants a login)",
    )
    p.add_argument(
        "--count",
        type=integer(1, 100, "a number of closes"),
        help="voice-closes, node-disconnects: how many (the alert's max + 1); node-flap: freezes (4); "
        "ip-banned: addresses banned (3/4 of the block); slow-voice: connections closed (the alert's min + 1)",
    )
    p.add_argument(
        "--fire-timeout", type=seconds(7200), default=900.0, help="seconds to wait for the page (default 900)"
    )
    p.add_argument(
        "--resolve-timeout", type=seconds(7200), default=1500.0, help="seconds to wait for resolved (default 1500)"
    )


def run_up(args) -> int:
    from lavametrics.devtools.stack import cmd_up

    return cmd_up(Path(args.dir).resolve(), args.timeout, args.topology)


def run_down(args) -> int:
    from lavametrics.devtools.stack import cmd_down

    return cmd_down(Path(args.dir).resolve())


def _params(args) -> dict:
    keys = ("node", "share", "seconds", "code", "count", "status")
    return {k: getattr(args, k) for k in keys if getattr(args, k) is not None}


class _Remote:
    """The running stack, as ``stack fault`` reaches it: the control socket, alerts.log, Prometheus."""

    def __init__(self, root: Path):
        from lavametrics.devtools import stack

        self.root, self._stack = root, stack
        try:
            self.urls = json.loads((root / stack.URLS_FILE).read_text())
        except (OSError, ValueError):
            raise CliError(f"no metrics stack is up in {root}: `make metrics-up` first") from None

    def call(self, request: dict, timeout: float = 240.0) -> dict:
        return self._stack.control(self.root, request, timeout)

    def inject(self, kind: str, params: dict):
        from lavametrics.devtools.faults import Fault

        return Fault.from_dict(self.call({"op": "inject", "kind": kind, "params": params})["fault"])

    def clear(self) -> list[str]:
        return self.call({"op": "clear"})["cleared"]

    def state_of(self, alert: str) -> str:
        """pending / firing in Prometheus, or ''."""
        try:
            with urllib.request.urlopen(self.urls["prometheus"] + "/api/v1/alerts", timeout=5) as resp:
                alerts = json.loads(resp.read())["data"]["alerts"]
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            return "(Prometheus unreachable)"
        states = {a["state"] for a in alerts if a["labels"].get("alertname") == alert}
        return "firing in Prometheus" if "firing" in states else "pending in Prometheus" if states else ""


def _say(line: str) -> None:
    print(line, file=sys.stderr if _say.quiet else sys.stdout, flush=True)  # type: ignore[attr-defined]


_say.quiet = False  # type: ignore[attr-defined]


def _announce(fault) -> None:
    where = ", ".join(f"{k}={v}" for k, v in fault.params.items())
    _say(f"fault {fault.kind} injected ({where})")
    for e in fault.expects:
        _say(f"  expect: {e.describe()}")
    if fault.note:
        _say(f"  {fault.note}")


def _one_drill(remote: _Remote, kind: str, args):
    from lavametrics.devtools import faults

    def inject():
        fault = remote.inject(kind, _params(args))
        _announce(fault)
        return fault

    return faults.drill(
        inject,
        remote.clear,
        remote.root / "alerts.log",
        fire_timeout=args.fire_timeout,
        resolve_timeout=args.resolve_timeout,
        progress=lambda line: _say(f"  {line}"),
        state_of=remote.state_of,
    )


def _report(result) -> None:
    for t in result.timings:
        fired = "never" if t.fired is None else f"{t.fired:.1f}s"
        resolved = "never" if t.resolved is None else f"{t.resolved:.1f}s"
        _say(f"{result.kind}: {t.alert}: fault -> page {fired}, clear -> resolved {resolved}")
    _say(
        f"{result.kind}: {result.notifications} notifications in the incident ({result.firing} firing): "
        f"{', '.join(result.alertnames) or 'none'}"
    )


def _interruptible() -> None:
    """SIGTERM too ends a waiting fault or drill through KeyboardInterrupt, which clears the faults."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def run_fault(args) -> int:
    _interruptible()
    remote = _Remote(Path(args.dir).resolve())
    _say.quiet = args.json  # type: ignore[attr-defined]
    if args.kind == "clear":
        cleared = remote.clear()
        if args.json:
            dump({"cleared": cleared})
        else:
            print(f"cleared: {', '.join(cleared) or 'nothing was injected'}")
        return 0
    if args.kind == "status":
        active = remote.call({"op": "status"})["faults"]
        if args.json:
            dump({"faults": active})
        else:
            print("\n".join(f"{f['kind']} {f['params']}" for f in active) or "no fault injected")
        return 0
    if args.no_wait:
        fault = remote.inject(args.kind, _params(args))
        if args.json:
            dump(fault.as_dict())
        else:
            _announce(fault)
            print("`lavametrics stack fault clear` undoes it")
        return 0
    try:
        result = _one_drill(remote, args.kind, args)
    except KeyboardInterrupt:
        remote.clear()
        raise
    if args.json:
        dump(result.as_dict())
    else:
        _report(result)
    missed = [t for t in result.timings if t.fired is None or t.resolved is None]
    return 1 if missed or not result.timings else 0


def run_drill(args) -> int:
    from lavametrics.devtools import faults

    _interruptible()
    remote = _Remote(Path(args.dir).resolve())
    _say.quiet = args.json  # type: ignore[attr-defined]
    results = []
    try:
        for run in range(1, args.runs + 1):
            for kind in args.kinds or faults.KINDS:
                _say(f"--- {kind}, run {run} of {args.runs}")
                result = _one_drill(remote, kind, args)
                _report(result)
                results.append(result)
    except KeyboardInterrupt:
        remote.clear()
        _say("interrupted: the faults are cleared; the summary covers the finished runs")
    summary = list(faults.summarize(results))
    if args.json:
        dump({"runs": [r.as_dict() for r in results], "summary": summary})
        return 0
    print(drill_table(summary))
    return 0


def drill_table(summary: list[dict]) -> str:
    """The markdown table the guide's Fault drills section holds."""

    def span(s: dict) -> str:
        if s["min"] is None:
            return "never"
        missed = f" ({s['missed']} missed)" if s["missed"] else ""
        return f"{s['min']:.0f} / {s['median']:.0f} / {s['max']:.0f}{missed}"

    rows = [
        "| fault | alert | runs | fault → page, s (min / median / max) | clear → resolved, s | "
        "notifications per run: firing (all) | alerts that fired in the incident |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        params = ", ".join(f"{k} {v}" for k, v in s["params"].items())
        rows.append(
            f"| `{s['kind']}` ({params}) | `{s['alert']}` | {s['runs']}"
            f"{f' (+{n} invalid)' if (n := s.get('invalid_runs')) else ''} | {span(s['fired'])} | "
            f"{span(s['resolved'])} | "
            f"{', '.join(f'{f} ({n})' for f, n in zip(s['firing_notifications'], s['notifications']))} | "
            f"{', '.join(s['alerts_in_incident']) or '-'} |"
        )
    return "\n".join(rows)
