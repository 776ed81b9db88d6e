"""Validation of the ``plugins.lavametrics`` mapping.

There is one set of rules: the plugin's ``ConfigValidator``, which the node runs at start-up.
``check`` below (what ``lavametrics config validate/set/enable/disable`` use) asks it through
``java -cp <plugin jar>`` (JSON in, JSON out) whenever a JVM and the jar can be had. Without
them it falls back to ``validate`` here, a line-by-line twin of the Java class (same order,
same messages, same masking), and says so in one line on stderr. A property test
(tests/unit/test_configcheck.py) feeds both generated configs and requires identical problem
lists; the rules and the reasons for each are in ConfigValidator's class comment and Cidr's.
Change the two together.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass

from lavametrics import javatools
from lavametrics.config.catalog import Catalog, load_catalog

VALIDATOR_CLASS = "dev.lavametrics.plugin.config.ConfigValidator"
MASK = "****"
LAVALINK_DEFAULT_PORT = 2333  # ConfigValidator.LAVALINK_DEFAULT_PORT
MAX_BUCKET_BOUNDS = 30  # Catalog.MAX_BUCKET_BOUNDS

_TRUE_WORDS = {"true", "yes", "on", "1"}
_FALSE_WORDS = {"false", "no", "off", "0"}
_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_IPV4 = re.compile(r"(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}")
_HEX_GROUP = re.compile(r"[0-9A-Fa-f]{1,4}")
_PREFIX = re.compile(r"[0-9]{1,3}")
_BOOLEAN_ALLOWED = "true, false"
_PORT_ALLOWED = "1..65535"
_CIDR_ALLOWED = "IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8"
_CREDENTIAL_ALLOWED = "a non-blank string"
_CREDENTIALS = ("endpoint.auth.username", "endpoint.auth.password", "endpoint.auth.bearerToken")
_FILE_ALLOWED = "a file path"
_FILES = ("endpoint.auth.passwordFile", "endpoint.auth.bearerTokenFile", "endpoint.webConfigFile")
_RATIO_KEY = "buckets.frameLossRatio"  # the one histogram of a ratio (Catalog.FRAME_LOSS)
_TRIM_CHARS = "".join(chr(c) for c in range(0x21))  # what Java's String.trim removes
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass
class Problem:
    key: str  # dotted, camelCase, below plugins.lavametrics
    value: str | None  # as written (masked unless the key is a known, non-secret setting)
    message: str
    allowed: str | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "value": self.value, "message": self.message, "allowed": self.allowed}


# --- text rules shared with the Java side -----------------------------------------------------


def trim(text: str) -> str:
    return text.strip(_TRIM_CHARS)


def relaxed(name: str) -> str:
    """The form all spellings of one key share: no ``-`` or ``_``, ASCII lower case."""
    return name.replace("-", "").replace("_", "").translate(_ASCII_LOWER)


def same_key(given, canonical: str) -> bool:
    """Whether a key as written in the file (``bearer_token``, ``REST``) is the catalog's segment."""
    return relaxed(str(given)) == relaxed(canonical)


def to_camel(segment: str) -> str:
    """An unknown key as reported: ``-`` and ``_`` dropped, the ASCII letter after them upper-cased."""
    out, upper = [], False
    for ch in segment:
        if ch in "-_":
            upper = True
        else:
            out.append(ch.upper() if upper and "a" <= ch <= "z" else ch)
            upper = False
    return "".join(out)


def _is_bool(value) -> bool:
    # ruamel's ScalarBoolean (an anchored boolean) subclasses int, not bool
    return isinstance(value, bool) or type(value).__name__ == "ScalarBoolean"


def format_number(value: float) -> str:
    """A float as Python's repr writes it, non-finite ones as YAML does (ValueText.number)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return float.__repr__(float(value))


def render(value) -> str | None:
    """A value as problems show it (ValueText.of); None stays None: not set."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ",".join(_nested(v) for v in value)
    return _nested(value)


def _nested(value) -> str:
    if value is None:
        return "null"
    if _is_bool(value):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_nested(k)}: {_nested(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, int):
        return int.__repr__(int(value))
    return str(value)


def to_plain(value):
    """ruamel's Commented* and Scalar* types -> the plain JSON-able tree both validators see.

    Keys become the strings Spring would make of them (``true``, not ``True``).
    """
    if isinstance(value, dict):
        return {k if isinstance(k, str) else _nested(k): to_plain(v) for k, v in value.items()}
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


# --- networks (Cidr.parse) ---------------------------------------------------------------------


def parse_cidr(text: str) -> tuple[bytes, int]:
    """(network bytes, prefix length); ValueError with the one-line reason otherwise."""
    trimmed = trim(text)
    slash = trimmed.find("/")
    address = trimmed if slash < 0 else trimmed[:slash]
    if ":" in address and "%" in address:
        raise ValueError("zone ids (%...) are not allowed in a network")
    raw = _ipv6(address) if ":" in address else _ipv4(address)
    if raw is None:
        raise ValueError("not an IP address")
    if len(raw) == 16 and raw[:10] == bytes(10) and raw[10:12] == b"\xff\xff":
        raise ValueError("IPv4-mapped IPv6 address: write the IPv4 network instead")
    max_prefix = len(raw) * 8
    prefix = max_prefix
    if slash >= 0:
        digits = trimmed[slash + 1 :]
        prefix = int(digits) if _PREFIX.fullmatch(digits) else -1
        if not 0 <= prefix <= max_prefix:
            raise ValueError(f"prefix length must be a number 0..{max_prefix}")
    return raw, prefix


def _ipv4(address: str) -> bytes | None:
    if not _IPV4.fullmatch(address):
        return None
    parts = [int(p) for p in address.split(".")]
    return bytes(parts) if all(p <= 255 for p in parts) else None


def _ipv6(address: str) -> bytes | None:
    groups_text, dotted_tail = address, None
    last_colon = address.rfind(":")
    if address.find(".", last_colon) > 0:
        dotted_tail = _ipv4(address[last_colon + 1 :])
        if dotted_tail is None:
            return None
        groups_text = address[: last_colon + 1] + "0:0"
    gap = groups_text.find("::")
    if gap >= 0 and groups_text.find("::", gap + 1) >= 0:
        return None
    head = _groups(groups_text if gap < 0 else groups_text[:gap])
    tail = [] if gap < 0 else _groups(groups_text[gap + 2 :])
    if head is None or tail is None:
        return None
    count = len(head) + len(tail)
    if (count != 8) if gap < 0 else (count > 7):
        return None
    words = head + [0] * (8 - count) + tail
    raw = bytearray(b"".join(w.to_bytes(2, "big") for w in words))
    if dotted_tail is not None:
        raw[12:16] = dotted_tail
    return bytes(raw)


def _groups(text: str) -> list[int] | None:
    if not text:
        return []
    groups = text.split(":")
    if not all(_HEX_GROUP.fullmatch(g) for g in groups):
        return None
    return [int(g, 16) for g in groups]


# --- the Python twin of ConfigValidator ---------------------------------------------------------


def validate(section, catalog: Catalog, server_port: int | None = None) -> list[Problem]:
    """Problems of the mapping below plugins.lavametrics (None or {} is valid: all defaults).

    ``server_port``: Lavalink's port, which ``endpoint.port`` must not take; None skips that check.
    """
    tree = to_plain(section)
    keys = [c.key for c in catalog.config]
    if tree is not None and not isinstance(tree, dict):
        return [Problem("", MASK, "must be a mapping", ", ".join(_children(keys, "")))]
    return _Validator(catalog, server_port).run(tree or {})


def _children(keys: list[str], prefix: str) -> list[str]:
    names: list[str] = []
    for key in keys:
        if key.startswith(prefix):
            seg = key[len(prefix) :].split(".", 1)[0]
            if seg not in names:
                names.append(seg)
    return names


class _Validator:
    def __init__(self, catalog: Catalog, server_port: int | None):
        self.config = catalog.config
        self.keys = [c.key for c in catalog.config]
        self.secrets = [c.key for c in catalog.config if c.secret]
        self.server_port = server_port
        self.problems: list[Problem] = []
        self.leaves: dict = {}
        self.endpoint_enabled = False
        self.port = 0

    def run(self, tree: dict) -> list[Problem]:
        self.walk("", tree)
        for ck in self.config:
            self.check(ck)
        self.cross_checks()
        return self.problems

    def add(self, key, value, message, allowed=None):
        self.problems.append(Problem(key, value, message, allowed))

    def display(self, key: str, value) -> str | None:
        if value is None:
            return None
        if any(s == key or s.startswith(key + ".") for s in self.secrets):
            return MASK
        return render(value)

    def walk(self, prefix: str, mapping: dict):
        seen: dict[str, str] = {}
        for given, value in mapping.items():
            wanted = relaxed(given)
            segment = next((c for c in _children(self.keys, prefix) if relaxed(c) == wanted), None)
            if segment is None:
                self.add(
                    prefix + to_camel(given),
                    None if value is None else MASK,
                    "unknown key",
                    ", ".join(_children(self.keys, prefix)),
                )
                continue
            key = prefix + segment
            if segment in seen:
                self.add(key, self.display(key, value), f"given twice (as {seen[segment]} and {given}): keep one")
                continue
            seen[segment] = given
            if key in self.keys:
                if value is not None:
                    self.leaves[key] = value
            elif isinstance(value, dict):
                self.walk(key + ".", value)
            elif value is not None:
                self.add(key, self.display(key, value), "must be a mapping", ", ".join(_children(self.keys, key + ".")))

    def check(self, ck):
        name = ck.key
        if name.startswith("groups."):
            self.boolean(name)
        elif name.startswith("buckets."):
            self.buckets(name)
        elif name == "endpoint.enabled":
            self.endpoint_enabled = self.boolean(name, False)
        elif name == "endpoint.port":
            self.port = self.port_value(name, int(ck.default))
        elif name == "endpoint.host":
            self.string(name, "an address or host name", lambda t: "must not be blank" if not trim(t) else None)
        elif name == "endpoint.path":
            self.string(name, "/<path>", lambda t: None if t.startswith("/") else "must start with /")
        elif name in _CREDENTIALS:
            self.string(name, _CREDENTIAL_ALLOWED, lambda t: "must not be blank" if not trim(t) else None)
        elif name in _FILES:
            self.string(name, _FILE_ALLOWED, lambda t: "must not be blank" if not trim(t) else None)
        elif name == "endpoint.allow":
            self.allow(name, ck.default)
        else:
            raise ValueError(f"no check for config key {name}")

    def boolean(self, key: str, fallback: bool = False) -> bool:
        value = self.leaves.get(key)
        if value is None:
            return fallback
        if _is_bool(value):
            return bool(value)
        if isinstance(value, str):
            word = trim(value).translate(_ASCII_LOWER)
            if word in _TRUE_WORDS | _FALSE_WORDS:
                return word in _TRUE_WORDS
        self.add(key, self.display(key, value), "must be a boolean", _BOOLEAN_ALLOWED)
        return fallback

    def port_value(self, key: str, fallback: int) -> int:
        value = self.leaves.get(key)
        if value is None:
            return fallback
        number = None
        if isinstance(value, int) and not _is_bool(value):
            number = int(value)
        elif isinstance(value, str) and _DIGITS.fullmatch(trim(value)):
            digits = trim(value).lstrip("0") or "0"
            number = int(digits) if len(digits) <= 5 else 10**6  # no int() of a 5,000-digit string
        if number is not None and 1 <= number <= 65535:
            return number
        self.add(key, self.display(key, value), "must be an integer 1..65535", _PORT_ALLOWED)
        return fallback

    def string(self, key: str, allowed: str, rule):
        value = self.leaves.get(key)
        if isinstance(value, (dict, list)):
            self.add(key, self.display(key, value), "must be a string", allowed)
        elif value is not None:
            problem = rule(render(value))
            if problem:
                self.add(key, self.display(key, value), problem, allowed)

    def buckets(self, key: str):
        value = self.leaves.get(key)
        if value is None:
            return
        ratio = key == _RATIO_KEY
        shape = "strictly increasing numbers within 0..1" if ratio else "finite, strictly increasing numbers > 0"
        allowed = f"up to {MAX_BUCKET_BOUNDS} {shape}"
        items = _list_items(value)
        bounds = []
        for item in items or ():
            bound = _number(item)
            if bound is None:
                break
            bounds.append(bound)

        def problem(message):
            self.add(key, self.display(key, value), message + "; using the defaults", allowed)

        if items is None or len(bounds) < len(items):
            return problem("must be a list of numbers")
        if not bounds:
            return problem("must not be empty")
        if len(bounds) > MAX_BUCKET_BOUNDS:
            return problem(f"must have at most {MAX_BUCKET_BOUNDS} bounds (has {len(bounds)})")
        for i, bound in enumerate(bounds):
            in_range = 0 <= bound <= 1 if ratio else (bound > 0 and not math.isinf(bound))
            if not in_range or math.isnan(bound) or (i > 0 and bound <= bounds[i - 1]):
                return problem("must be " + shape)
        return None

    def allow(self, key: str, fallback: str):
        value = self.leaves.get(key, fallback)
        items = _list_items(value)
        if items is None:
            self.add(key, self.display(key, value), "must be a list of networks", _CIDR_ALLOWED)
            return
        good = bad = 0
        for item in items:
            text = _nested(item)
            try:
                parse_cidr(text)
                good += 1
            except ValueError as exc:
                self.add(key, text, str(exc), _CIDR_ALLOWED)
                bad += 1
        if not good and not bad:
            self.add(key, self.display(key, value), "must list at least one network", _CIDR_ALLOWED)

    def given_scalar(self, key: str) -> bool:
        value = self.leaves.get(key)
        return value is not None and not isinstance(value, (dict, list))

    def cross_checks(self):
        username, password_text, token_text = (self.given_scalar(k) for k in _CREDENTIALS)
        password_file, token_file, web_config = (self.given_scalar(k) for k in _FILES)
        password = password_text or password_file
        bearer = token_text or token_file
        for text, file, key, message in (
            (password_text, password_file, "endpoint.auth.passwordFile", "password and passwordFile are exclusive"),
            (token_text, token_file, "endpoint.auth.bearerTokenFile", "bearerToken and bearerTokenFile are exclusive"),
        ):
            if text and file:
                self.add(key, self.display(key, self.leaves.get(key)), message, "one of them")
        if web_config and (username or password or bearer):
            key = "endpoint.webConfigFile"
            self.add(
                key,
                self.display(key, self.leaves.get(key)),
                "webConfigFile and endpoint.auth are exclusive",
                "either webConfigFile or endpoint.auth.*",
            )
        if username != password:
            missing = "endpoint.auth.password" if username else "endpoint.auth.username"
            self.add(missing, None, "basic auth needs both username and password")
        if bearer and (username or password):
            self.add(
                "endpoint.auth.bearerToken",
                MASK,
                "basic auth and bearer token are exclusive",
                "either username+password or bearerToken",
            )
        # the default port counts only once the endpoint is on: a node on 9477 with the endpoint off is fine
        key = "endpoint.port"
        given = self.leaves.get(key)
        if (
            self.server_port is not None
            and self.port == self.server_port
            and not any(p.key == key for p in self.problems)
            and (given is not None or self.endpoint_enabled)
        ):
            self.add(
                key,
                self.display(key, given),
                f"must differ from server.port ({self.server_port}), Lavalink's own port",
                f"1..65535 except {self.server_port}",
            )


def _list_items(value) -> list | None:
    """A list as given, or the comma-separated string Spring's sources deliver; None for a mapping."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return None
    return [trim(p) for p in (render(value) or "").split(",") if trim(p)]


def _number(item) -> float | None:
    if _is_bool(item):
        return None
    if isinstance(item, int):
        try:
            return float(item)
        except OverflowError:
            return math.inf if item > 0 else -math.inf
    if isinstance(item, float):
        return item
    if isinstance(item, str):
        text = trim(item)
        return float(text) if _DECIMAL.fullmatch(text) else None
    return None


# --- Lavalink's port ----------------------------------------------------------------------------


def server_port_of(doc) -> int | None:
    """Lavalink's port as application.yml sets it (``server.port``, Spring spellings accepted),
    2333 when unset, None when the file does not tell (a placeholder such as ``${PORT}``)."""
    if not isinstance(doc, dict):
        return LAVALINK_DEFAULT_PORT
    port = None
    for key, value in doc.items():
        if same_key(key, "server") and isinstance(value, dict):
            port = lookup(value, "port")
        elif relaxed(str(key)) == "server.port":  # the flat spelling Spring also reads
            port = value
    if port is None:
        return LAVALINK_DEFAULT_PORT
    if isinstance(port, int) and not _is_bool(port):
        return int(port)
    if isinstance(port, str) and _DIGITS.fullmatch(trim(port)) and len(trim(port)) <= 5:
        return int(trim(port))
    return None


# --- the plugin's validator, and the choice between the two -------------------------------------


def request_json(section) -> str:
    """The JSON the plugin's validator reads: the tree ``validate`` sees, non-ASCII escaped."""
    return json.dumps(to_plain(section))


def problems_from_json(text: str) -> list[Problem]:
    """Contract 2's result -> problems; ValueError when it is not that shape."""
    result = json.loads(text)
    if not isinstance(result, dict) or not isinstance(result.get("errors"), list):
        raise ValueError("not a validation result")
    return [Problem(e.get("key", ""), e.get("value"), e.get("message", ""), e.get("allowed")) for e in result["errors"]]


def validate_with_jar(section, jar=None, server_port: int | None = None) -> list[Problem]:
    """Ask the plugin's own validator in a ``java -cp <jar>`` subprocess (raises
    javatools.JvmUnavailable when no JVM or jar can run it)."""
    args = ["--server-port", str(server_port)] if server_port is not None else []
    out = javatools.run_main(VALIDATOR_CLASS, args, stdin=request_json(section), jar=jar)
    try:
        return problems_from_json(out)
    except ValueError as exc:
        first = out.strip().splitlines()[0][:200] if out.strip() else "nothing"
        raise javatools.JvmUnavailable(f"the plugin's validator answered {first!r} ({exc})") from None


def check(
    section, catalog: Catalog | None = None, jar=None, use_jar: bool = True, server_port: int | None = None
) -> tuple[list[Problem], str]:
    """(problems, "jar" or "python"): the plugin's rules when they can run, else the twin here.

    An explicit ``jar`` is a request: its failures propagate. Otherwise a JVM that is missing or
    cannot start (no java, no jar, too little memory) means the Python rules, and one line on
    stderr says so.
    """
    if use_jar:
        try:
            return validate_with_jar(section, jar, server_port), "jar"
        except javatools.JvmUnavailable as exc:
            if jar is not None:
                raise
            print(
                f"lavametrics: note: validated with the Python rules; the plugin's validator could not run: {exc}",
                file=sys.stderr,
            )
    return validate(section, catalog or load_catalog(prefer_jar=False), server_port), "python"


def lookup(section: dict, dotted: str):
    """The value at a dotted camelCase path, matching any Spring spelling; None when absent."""
    node: object = section
    for seg in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = next((v for k, v in node.items() if same_key(k, seg)), None)
    return node
