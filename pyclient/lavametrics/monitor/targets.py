"""Prometheus file_sd targets for the nodes in a nodes file.

file_sd can carry the address, path, scheme and labels of a target but not credentials;
nodes whose metrics need auth must get it from the scrape job's basic_auth/authorization.
"""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs, urlsplit

from lavametrics.fsutil import atomic_write
from lavametrics.monitor.nodesfile import NodeSpec


def target_for(node: NodeSpec) -> dict:
    parts = urlsplit(node.metrics_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal needs its brackets back in host:port form
        host = f"[{host}]"
    labels = {"node": node.name, "__metrics_path__": parts.path or "/metrics", "__scheme__": parts.scheme}
    for key, values in parse_qs(parts.query).items():
        labels[f"__param_{key}"] = values[0]
    return {"targets": [f"{host}:{port}"], "labels": labels}


def render(nodes: list[NodeSpec]) -> str:
    return json.dumps([target_for(n) for n in nodes], indent=2) + "\n"


def write(nodes: list[NodeSpec], out: str | os.PathLike) -> None:
    # Prometheus re-reads file_sd files on change; an atomic replace means it never sees half a file
    atomic_write(out, render(nodes), backup=False)
