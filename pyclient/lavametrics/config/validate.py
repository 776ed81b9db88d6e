"""Validation of the ``plugins.lavametrics`` mapping: the plugin judges, nothing here does.

The rules exist once, in the plugin's ``ConfigValidator``, which the node runs at start-up.
``check`` asks it in a ``java -cp <plugin jar>`` subprocess (contract 2 in
docs/design/contracts.md: the mapping as JSON on stdin, the problems as JSON on stdout), and
hands Lavalink's ``server.port`` over as the file writes it: what an unset or unreadable port
means is the plugin's decision too, the same one the running node makes.

Without a JVM or a jar there is no second opinion: ``check`` raises ``NotValidated``, one line
naming what was looked for, and the caller says so (``config validate`` exits 2; an edit is
written, with its backup, and reports that it was not validated).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from lavametrics import javatools
from lavametrics.errors import LavametricsError

VALIDATOR_CLASS = "dev.lavametrics.plugin.config.ConfigValidator"


@dataclass
class Problem:
    key: str  # dotted, camelCase, below plugins.lavametrics
    value: str | None  # as the plugin shows it: masked unless the key is a known, non-secret setting
    message: str
    allowed: str | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "value": self.value, "message": self.message, "allowed": self.allowed}


class NotValidated(LavametricsError):
    """The plugin's validator could not run: one line, starting ``not validated: ``."""


def _is_bool(value) -> bool:
    # ruamel's ScalarBoolean (an anchored boolean) subclasses int, not bool
    return isinstance(value, bool) or type(value).__name__ == "ScalarBoolean"


def scalar_text(value) -> str:
    """A YAML scalar as the text Spring would hand the plugin (``true``, not ``True``)."""
    if value is None:
        return "null"
    if _is_bool(value):
        return "true" if value else "false"
    if isinstance(value, float):
        return float.__repr__(float(value))
    if isinstance(value, int):
        return int.__repr__(int(value))
    return str(value)


def to_plain(value):
    """ruamel's Commented* and Scalar* types -> the plain JSON-able tree the plugin reads."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else scalar_text(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if value is None:
        return None
    if _is_bool(value):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def request_json(section) -> str:
    """The JSON the plugin's validator reads (non-ASCII escaped)."""
    return json.dumps(to_plain(section))


def problems_from_json(text: str) -> list[Problem]:
    """Contract 2's result -> problems; ValueError when it is not that shape."""
    result = json.loads(text)
    if not isinstance(result, dict) or not isinstance(result.get("errors"), list):
        raise ValueError("not a validation result")
    return [Problem(e.get("key", ""), e.get("value"), e.get("message", ""), e.get("allowed")) for e in result["errors"]]


def server_port_args(server_port: str | None) -> list[str]:
    """The validator's arguments for Lavalink's ``server.port`` as application.yml writes it
    (None: not set, where the plugin assumes what Spring Boot does)."""
    return ["--server-port-unset"] if server_port is None else ["--server-port", server_port]


def check(
    section,
    server_port: str | None,
    jar: str | os.PathLike | None = None,
    plugins_dir: str | os.PathLike | None = None,
) -> tuple[list[Problem], Path]:
    """(problems, the jar that judged) for the mapping below ``plugins.lavametrics``.

    The jar is found by ``javatools.find_plugin_jar`` (``plugins_dir``: the node's plugins
    directory, the last place looked). An explicit ``jar`` is a request: when it cannot run,
    that is an error (javatools.JvmUnavailable). Otherwise no Java, no jar, or a JVM that
    cannot start or answer raises NotValidated.
    """

    def unavailable(reason: str) -> Exception:
        if jar is not None:
            return javatools.JvmUnavailable(reason)
        return NotValidated(f"not validated: {reason}")

    try:
        javatools.java_binary()  # first: without Java no jar helps, and "no Java found" is the news
        path = javatools.find_plugin_jar(jar, plugins_dir=plugins_dir)
        out = javatools.run_main(VALIDATOR_CLASS, server_port_args(server_port), stdin=request_json(section), jar=path)
    except javatools.JvmUnavailable as exc:
        raise unavailable(str(exc)) from None
    try:
        return problems_from_json(out), path
    except ValueError as exc:
        first = out.strip().splitlines()[0][:200] if out.strip() else "nothing"
        raise unavailable(f"the plugin's validator in {path} answered {first!r} ({exc})") from None
