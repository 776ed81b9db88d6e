"""``lavametrics mixin``: build the monitoring tree, check it for drift, render dashboards."""

from __future__ import annotations


def add_mixin(sub) -> None:
    from lavametrics.mixin.command import DESCRIPTION, add_arguments

    p = sub.add_parser(
        "mixin", help="generate Prometheus rules, Alertmanager and Grafana dashboards", description=DESCRIPTION
    )
    add_arguments(p)
    p.set_defaults(func=run_mixin)


def run_mixin(args) -> int:
    from lavametrics.mixin.command import run

    return run(args)
