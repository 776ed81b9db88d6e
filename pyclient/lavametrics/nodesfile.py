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

Loaded with ruamel.yaml so that every validation error can point at file:line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .scrape import Auth

_NODE_KEYS = ("name", "url", "password", "metrics_url", "metrics_auth", "own_endpoint", "timeout")
_AUTH_KEYS = ("username", "password", "bearer_token")


class NodesFileError(ValueError):
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


def _where(path, mapping, key, value=False) -> str:
    try:
        line, _col = (mapping.lc.value(key) if value else mapping.lc.key(key))[:2]
        return f"{path}:{line + 1}"
    except Exception:
        try:
            return f"{path}:{mapping.lc.line + 1}"
        except Exception:
            return str(path)


def _is_http_url(value) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def default_metrics_url(url: str) -> str:
    return url.rstrip("/") + "/metrics"


def parse_nodes(data, path="<nodes>") -> list[NodeSpec]:
    if isinstance(data, dict) and "nodes" in data:
        seq = data["nodes"]
        unknown = [k for k in data if k != "nodes"]
        if unknown:
            raise NodesFileError(f"{_where(path, data, unknown[0])}: key {unknown[0]!r}: unknown top-level key (allowed: nodes)")
    else:
        seq = data
    if not isinstance(seq, list) or not seq:
        raise NodesFileError(f"{path}: expected a non-empty list of nodes (or a mapping with key 'nodes')")
    nodes: list[NodeSpec] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(seq):
        ctx = f"nodes[{i}]"
        if not isinstance(item, dict):
            line = getattr(getattr(seq, "lc", None), "item", lambda _i: (None,))(i)[0]
            where = f"{path}:{line + 1}" if line is not None else str(path)
            raise NodesFileError(f"{where}: {ctx}: value {item!r}: expected a mapping with name, url, password")
        for key in item:
            if key not in _NODE_KEYS:
                raise NodesFileError(f"{_where(path, item, key)}: key {ctx}.{key}: unknown key (allowed: {', '.join(_NODE_KEYS)})")
        for key in ("name", "url", "password"):
            if key not in item or item[key] in (None, ""):
                try:
                    where = f"{path}:{item.lc.line + 1}"
                except Exception:
                    where = str(path)
                raise NodesFileError(f"{where}: key {ctx}.{key}: missing (required: name, url, password)")

        def bad(key, value, why, _item=item, _ctx=ctx):
            return NodesFileError(f"{_where(path, _item, key, value=True)}: key {_ctx}.{key}: value {value!r}: {why}")

        name = item["name"]
        if not isinstance(name, str):
            raise bad("name", name, "must be a string")
        if name in seen:
            raise bad("name", name, f"duplicate node name (first used at {seen[name]})")
        seen[name] = _where(path, item, "name", value=True)
        url = item["url"]
        if not _is_http_url(url):
            raise bad("url", url, "must be an http:// or https:// URL with a host")
        password = item["password"]
        if isinstance(password, bool) or not isinstance(password, (str, int)):
            raise bad("password", password, "must be a string")
        metrics_url = item.get("metrics_url") or default_metrics_url(url)
        if not _is_http_url(metrics_url):
            raise bad("metrics_url", metrics_url, "must be an http:// or https:// URL with a host")
        auth = None
        if item.get("metrics_auth") is not None:
            ma = item["metrics_auth"]
            if not isinstance(ma, dict):
                raise bad("metrics_auth", ma, "must be a mapping {username, password} or {bearer_token}")
            for key in ma:
                if key not in _AUTH_KEYS:
                    raise NodesFileError(f"{_where(path, ma, key)}: key {ctx}.metrics_auth.{key}: unknown key (allowed: {', '.join(_AUTH_KEYS)})")
            has_basic = "username" in ma or "password" in ma
            if has_basic and "bearer_token" in ma:
                raise bad("metrics_auth", dict(ma), "basic (username/password) and bearer_token are exclusive")
            if has_basic and not ma.get("username"):
                raise bad("metrics_auth", dict(ma), "basic auth needs a username")
            auth = Auth(username=None if ma.get("username") is None else str(ma.get("username")),
                        password=None if ma.get("password") is None else str(ma.get("password")),
                        bearer_token=None if ma.get("bearer_token") is None else str(ma.get("bearer_token")))
        own = item.get("own_endpoint", False)
        if not isinstance(own, bool):
            raise bad("own_endpoint", own, "must be true or false")
        timeout = item.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise bad("timeout", timeout, "must be a positive number of seconds")
        nodes.append(NodeSpec(name, url.rstrip("/"), str(password), metrics_url, auth, own,
                              float(timeout) if timeout is not None else None))
    return nodes


def load_nodes(path: str | os.PathLike) -> list[NodeSpec]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise NodesFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise NodesFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NodesFileError(f"{where}: malformed YAML: {problem}") from None
    return parse_nodes(data, path)
