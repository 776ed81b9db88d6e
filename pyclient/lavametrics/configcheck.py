"""Validation of the ``plugins.lavametrics`` mapping.

The plugin's ``ConfigValidator`` is the authority; this pure-Python twin, driven by the
catalog's ``config`` entries, exists so that ``lavametrics config validate`` still works on
a machine without a JVM. Both speak the same result shape (contracts.md section 2) and a
unit test runs them side by side on the same inputs when a jar is available.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass

from .catalog import Catalog

PORT_RANGE = (1, 65535)
MASK = "****"
_TRUE = {"true"}
_FALSE = {"false"}


@dataclass
class Problem:
    key: str            # dotted, camelCase, below plugins.lavametrics
    value: str | None   # as written (masked when secret)
    message: str
    allowed: str | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "value": self.value, "message": self.message, "allowed": self.allowed}


def to_camel(segment: str) -> str:
    """Spring's relaxed binding lets users write kebab-case; the catalog speaks camelCase."""
    parts = segment.split("-")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def render(value) -> str | None:
    """A YAML value as the plugin's messages show it (None stays None: not set)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(render(v) or "" for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return str(value)


def split_list(value) -> list | None:
    """A list value may be a YAML sequence or one comma-separated string (Spring accepts both)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return None


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _check_leaf(key: str, ctype: str, value) -> str | None:
    """Return the problem message for one leaf, or None when the value is fine."""
    if value is None:
        return None  # an empty YAML value means "not set": the default applies
    if ctype == "boolean":
        if isinstance(value, bool) or (isinstance(value, str) and value.lower() in _TRUE | _FALSE):
            return None
        return "must be true or false"
    if ctype == "integer":
        if isinstance(value, bool):
            return "must be an integer"
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            number = int(value)
        else:
            return "must be an integer" + (" 1..65535" if key.endswith(".port") or key == "port" else "")
        if key.rsplit(".", 1)[-1] == "port" and not PORT_RANGE[0] <= number <= PORT_RANGE[1]:
            return "must be an integer 1..65535"
        return None
    if ctype == "string":
        if isinstance(value, (dict, list)):
            return "must be a string"
        return None
    if ctype.startswith("enum:"):
        options = ctype[len("enum:"):].split("|")
        if render(value) not in options:
            return "must be one of " + "|".join(options)
        return None
    items = split_list(value)
    if items is None:
        return "must be a list (YAML sequence or comma-separated string)"
    if ctype == "string-list":
        if any(isinstance(i, (dict, list)) for i in items):
            return "must be a list of strings"
        return None
    if ctype == "number-list":
        numbers = [_as_number(i) for i in items]
        if any(n is None for n in numbers):
            return "must be a list of numbers"
        if not numbers:
            return "must not be empty"
        if numbers[0] <= 0 or any(b <= a for a, b in zip(numbers, numbers[1:])):
            return "must be positive and strictly increasing"
        if key.endswith("Ratio") and numbers[-1] > 1:
            return "must be strictly increasing numbers within 0..1"
        return None
    if ctype == "cidr-list":
        for item in items:
            try:
                ipaddress.ip_network(str(item).strip(), strict=False)
            except ValueError:
                return f"{item!s} is not a CIDR block (like 10.0.0.0/8 or ::1/128)"
        return None
    return None  # an unknown type in a newer catalog: accept rather than block the user


def _allowed_for(ctype: str, key: str) -> str:
    if ctype == "boolean":
        return "true|false"
    if ctype == "integer":
        return "1..65535" if key.rsplit(".", 1)[-1] == "port" else "integer"
    if ctype.startswith("enum:"):
        return ctype[len("enum:"):]
    if ctype == "number-list":
        if key.endswith("Ratio"):
            return "strictly increasing numbers within 0..1"
        return "positive, strictly increasing numbers"
    if ctype == "cidr-list":
        return "CIDR blocks, e.g. 127.0.0.1/32,10.0.0.0/8"
    return ctype


def validate(section, catalog: Catalog) -> list[Problem]:
    """Validate the mapping below plugins.lavametrics (None or {} is valid: all defaults)."""
    problems: list[Problem] = []
    types = {c.key: c.type for c in catalog.config}
    secrets = {c.key for c in catalog.config if c.secret}
    if section is None:
        return problems
    if not isinstance(section, dict):
        return [Problem("", render(section), "plugins.lavametrics must be a mapping", None)]

    def children(prefix: str) -> list[str]:
        depth = prefix.count(".") + 1 if prefix else 0
        names = []
        for k in types:
            if prefix and not k.startswith(prefix + "."):
                continue
            seg = k.split(".")[depth]
            if seg not in names:
                names.append(seg)
        return names

    def walk(mapping: dict, prefix: str):
        allowed_here = children(prefix)
        for raw_key, value in mapping.items():
            seg = to_camel(str(raw_key))
            key = f"{prefix}.{seg}" if prefix else seg
            shown = MASK if key in secrets and value is not None else render(value)
            if key in types:
                msg = _check_leaf(key, types[key], value)
                if msg:
                    problems.append(Problem(key, shown, msg, _allowed_for(types[key], key)))
            elif seg in allowed_here:
                if isinstance(value, dict):
                    walk(value, key)
                elif value is not None:
                    problems.append(Problem(key, shown, "must be a mapping", ", ".join(children(key))))
            else:
                problems.append(Problem(key, shown, "unknown key", ", ".join(allowed_here)))

    walk(section, "")
    auth = lookup(section, "endpoint.auth")
    if isinstance(auth, dict):
        flat = {to_camel(str(k)): v for k, v in auth.items()}
        user, password, token = (flat.get(k) not in (None, "") for k in ("username", "password", "bearerToken"))
        if user != password:
            missing = "password" if user else "username"
            problems.append(Problem(f"endpoint.auth.{missing}", None, "basic auth needs both username and password", None))
        if (user or password) and token:
            problems.append(Problem("endpoint.auth.bearerToken", MASK, "basic auth and bearer token are exclusive",
                                    "either username+password or bearerToken"))
    return problems


def lookup(section: dict, dotted: str):
    """The value at a dotted camelCase path, matching kebab-case keys; None when absent."""
    node = section
    for seg in dotted.split("."):
        if not isinstance(node, dict):
            return None
        found = None
        for k, v in node.items():
            if to_camel(str(k)) == seg:
                found = v
                break
        node = found
    return node


def validate_with_jar(section, jar=None) -> list[Problem]:
    """Ask the plugin's own validator (raises jvm.JvmUnavailable when it cannot run)."""
    from . import jvm

    payload = json.dumps(to_plain(section) if section is not None else {})
    result = json.loads(jvm.call_static("dev.lavametrics.plugin.config.ConfigValidator", "validateJson",
                                        payload, jar=jar))
    return [Problem(e.get("key", ""), e.get("value"), e.get("message", ""), e.get("allowed"))
            for e in result.get("errors", ())]


def to_plain(value):
    """ruamel's Commented* types -> plain dict/list/scalars for JSON."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return str(value)
