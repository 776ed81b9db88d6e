"""The nodes file: which Lavalink nodes to check, merge or turn into scrape targets.

```yaml
nodes:                       # or the list itself at top level
  - name: eu-1               # becomes the node="eu-1" label; must be unique
    url: http://10.0.0.5:2333
    password: youshallnotpass
    metrics_url: http://10.0.0.5:9477/metrics   # default: url + /metrics
    metrics_auth: {username: prom, password: s3cret}   # or {bearer_token: ...}
    own_endpoint: true       # metrics_url is the plugin's own port (enables auth checks)
```

Loaded with ruamel.yaml (within ``yamlread``'s bounds) so that every validation error can
point at file:line. Errors never show a password or a ``metrics_auth`` value, and URLs with
``user:password@`` are refused without being echoed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from lavametrics import yamlread
from lavametrics.errors import LavametricsError
from lavametrics.httpfetch import MAX_TIMEOUT_SECONDS, Auth, redact_url
from lavametrics.redact import MASK

_NODE_KEYS = ("name", "url", "password", "metrics_url", "metrics_auth", "own_endpoint", "timeout")
_AUTH_KEYS = ("username", "password", "bearer_token")
_SECRET_KEYS = ("password", "metrics_auth")  # their values are never shown


class NodesFileError(LavametricsError, ValueError):
    pass


@dataclass(frozen=True)
class NodeSpec:
    name: str
    url: str
    password: str
    metrics_url: str
    metrics_auth: Auth | None = None
    own_endpoint: bool = False
    timeout: float | None = None


def _shown(key: str, value) -> str:
    """How an error message may show ``value`` of ``key``."""
    if key in _SECRET_KEYS:
        return f"value {MASK!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if key in ("url", "metrics_url") and isinstance(value, str):
        return f"value {redact_url(value)!r}"
    return f"value {value!r}"


def _type_name(value) -> str:
    for kind, name in ((bool, "boolean"), (dict, "mapping"), (list, "list"), (str, "string")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def url_problem(value) -> str | None:
    """Why ``value`` is not a usable node URL, or None. A URL with credentials in it is a
    problem whose message must not quote the URL."""
    if not isinstance(value, str):
        return "must be an http:// or https:// URL with a host"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "must be an http:// or https:// URL with a valid host and port"
    if "@" in parts.netloc:
        return (
            "must not contain user:password@: Lavalink's password goes in 'password', "
            "metrics credentials in 'metrics_auth'"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    return None


def timeout_problem(value) -> str | None:
    """Why ``value`` is not a usable timeout in seconds, or None."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 < value <= MAX_TIMEOUT_SECONDS
    ):
        return f"must be a number of seconds, > 0 and <= {MAX_TIMEOUT_SECONDS:g}"
    return None


def default_metrics_url(url: str) -> str:
    return url.rstrip("/") + "/metrics"


def node_from_flags(
    url: str,
    password: str,
    metrics_url: str | None = None,
    *,
    metrics_user: str | None = None,
    metrics_password: str | None = None,
    metrics_bearer: str | None = None,
) -> NodeSpec:
    """The one node a command line names (what ``check URL`` checks); errors never show a secret."""
    if metrics_bearer and metrics_user:
        raise NodesFileError("--metrics-user and --metrics-bearer are exclusive")
    auth = None
    if metrics_bearer:
        auth = Auth(bearer_token=metrics_bearer)
    elif metrics_user:
        auth = Auth(username=metrics_user, password=metrics_password or "")
    url = url.rstrip("/")
    for what, value in (("URL", url), ("--metrics-url", metrics_url)):
        if value is None:
            continue
        problem = url_problem(value)
        if problem:
            raise NodesFileError(f"{what} {redact_url(value)!r}: {problem}")
    return NodeSpec("node", url, password, metrics_url or default_metrics_url(url), auth, own_endpoint=auth is not None)


def parse_nodes(data, path="<nodes>") -> list[NodeSpec]:
    if isinstance(data, dict) and "nodes" in data:
        seq = data["nodes"]
        unknown = [k for k in data if k != "nodes"]
        if unknown:
            raise NodesFileError(
                f"{yamlread.where(path, data, unknown[0])}: key {unknown[0]!r}: unknown top-level key (allowed: nodes)"
            )
    else:
        seq = data
    if not isinstance(seq, list) or not seq:
        raise NodesFileError(f"{path}: expected a non-empty list of nodes (or a mapping with key 'nodes')")
    nodes: list[NodeSpec] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(seq):
        ctx = f"nodes[{i}]"
        if not isinstance(item, dict):
            raise NodesFileError(
                f"{yamlread.where(path, seq, i)}: {ctx}: a {_type_name(item)} (not shown): "
                "expected a mapping with name, url, password"
            )
        for key in item:
            if key not in _NODE_KEYS:
                raise NodesFileError(
                    f"{yamlread.where(path, item, key)}: key {ctx}.{key}: "
                    f"unknown key (allowed: {', '.join(_NODE_KEYS)})"
                )
        for key in ("name", "url", "password"):
            if key not in item or item[key] in (None, ""):
                # a missing key has no line: the entry's
                where = yamlread.where(path, item, key)
                raise NodesFileError(f"{where}: key {ctx}.{key}: missing (required: name, url, password)")

        def bad(key, value, why, _item=item, _ctx=ctx):
            return NodesFileError(
                f"{yamlread.where(path, _item, key, value=True)}: key {_ctx}.{key}: {_shown(key, value)}: {why}"
            )

        name = item["name"]
        if not isinstance(name, str):
            raise bad("name", name, "must be a string")
        if name in seen:
            raise bad("name", name, f"duplicate node name (first used at {seen[name]})")
        seen[name] = yamlread.where(path, item, "name", value=True)
        url = item["url"]
        if url_problem(url):
            raise bad("url", url, url_problem(url))
        password = item["password"]
        if isinstance(password, bool) or not isinstance(password, (str, int)):
            raise bad("password", password, "must be a string")
        metrics_url = item.get("metrics_url") or default_metrics_url(url)
        if url_problem(metrics_url):
            raise bad("metrics_url", metrics_url, url_problem(metrics_url))
        auth = None
        if item.get("metrics_auth") is not None:
            ma = item["metrics_auth"]
            if not isinstance(ma, dict):
                raise bad("metrics_auth", ma, "must be a mapping {username, password} or {bearer_token}")
            for key in ma:
                if key not in _AUTH_KEYS:
                    raise NodesFileError(
                        f"{yamlread.where(path, ma, key)}: key {ctx}.metrics_auth.{key}: unknown key "
                        f"(allowed: {', '.join(_AUTH_KEYS)})"
                    )
            has_basic = "username" in ma or "password" in ma
            if has_basic and "bearer_token" in ma:
                raise bad("metrics_auth", ma, "basic (username/password) and bearer_token are exclusive")
            if has_basic and not ma.get("username"):
                raise bad("metrics_auth", ma, "basic auth needs a username")
            auth = Auth(
                username=None if ma.get("username") is None else str(ma.get("username")),
                password=None if ma.get("password") is None else str(ma.get("password")),
                bearer_token=None if ma.get("bearer_token") is None else str(ma.get("bearer_token")),
            )
        own = item.get("own_endpoint", False)
        if not isinstance(own, bool):
            raise bad("own_endpoint", own, "must be true or false")
        timeout = item.get("timeout")
        if timeout is not None and timeout_problem(timeout):
            raise bad("timeout", timeout, timeout_problem(timeout))
        nodes.append(
            NodeSpec(
                name,
                url.rstrip("/"),
                str(password),
                metrics_url,
                auth,
                own,
                float(timeout) if timeout is not None else None,
            )
        )
    return nodes


def load_nodes(path: str | os.PathLike) -> list[NodeSpec]:
    try:
        text = yamlread.decode(yamlread.read_bytes(path, "a nodes file"), path)
        data = yamlread.load(yamlread.new_yaml(), text, path)
    except yamlread.YamlReadError as exc:
        raise NodesFileError(str(exc)) from None
    return parse_nodes(data, path)
