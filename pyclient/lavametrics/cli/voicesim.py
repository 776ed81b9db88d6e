"""``lavametrics voicesim``: the Discord voice server simulator (devtools; needs the ``sim`` extra)."""

from __future__ import annotations

from lavametrics.cli.devtools_gate import add_unavailable, devtools_present


def add_voicesim(sub) -> None:
    help_text = "run the Discord voice server simulator on loopback"
    if not devtools_present():
        add_unavailable(sub, "voicesim", help_text)
        return
    try:
        from lavametrics.devtools.voicesim.command import DESCRIPTION, add_arguments, run
    except ModuleNotFoundError as exc:
        # The base install has no simulator; the command still exists and says what to install.
        missing = exc

        def unavailable(args) -> int:
            raise missing

        p = sub.add_parser("voicesim", help=f"{help_text} (needs lavametrics[sim])")
        p.set_defaults(func=unavailable)
        return
    p = sub.add_parser("voicesim", help=help_text, description=DESCRIPTION)
    add_arguments(p)
    p.set_defaults(func=run)
