"""``lavametrics demo``: what ``make demo`` runs (devtools; needs a checkout)."""

from __future__ import annotations

from lavametrics.cli.devtools_gate import add_unavailable, devtools_present


def add_demo(sub) -> None:
    help_text = "start a node with the plugin, stream audio, print the check report"
    if not devtools_present():
        add_unavailable(sub, "demo", help_text)
        return
    p = sub.add_parser("demo", help=help_text)
    p.set_defaults(func=run_demo)


def run_demo(args) -> int:
    from lavametrics.devtools.demo import main as demo_main

    return demo_main()
