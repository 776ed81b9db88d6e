"""``lavametrics demo``: what ``make demo`` runs (devtools; needs a checkout)."""

from __future__ import annotations


def add_demo(sub) -> None:
    p = sub.add_parser("demo", help="start a node with the plugin, stream audio, print the check report")
    p.set_defaults(func=run_demo)


def run_demo(args) -> int:
    from lavametrics.devtools.demo import main as demo_main

    return demo_main()
