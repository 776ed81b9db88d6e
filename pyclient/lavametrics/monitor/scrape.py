"""Fetch one exposition over HTTP (``httpfetch.fetch``) and parse it.

Every failure is a ``ScrapeError`` (a ``FetchError``) with a short machine-readable
``reason``, so that ``check`` and ``merge`` can report it without parsing messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from prometheus_client.metrics_core import Metric

from lavametrics.exposition.parse import ParseError, parse
from lavametrics.httpfetch import DEFAULT_TIMEOUT, MAX_BODY_BYTES, Auth, FetchError, fetch

ACCEPT_TEXT = "text/plain;version=0.0.4;q=1,*/*;q=0.1"
ACCEPT_OPENMETRICS = "application/openmetrics-text;version=1.0.0;q=1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"


class ScrapeError(FetchError):
    """A scrape failed: the fetch (its reasons) or the body (reason "garbage")."""


@dataclass
class Scrape:
    url: str
    families: list[Metric]
    content_type: str
    duration_seconds: float
    body_bytes: int
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False, compare=False)


def scrape(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    auth: Auth | None = None,
    openmetrics: bool = False,
    max_bytes: int = MAX_BODY_BYTES,
    previous: Scrape | None = None,
) -> Scrape:
    """Fetch and parse ``url``. When the body and Content-Type are those of ``previous``,
    its families are returned again (the same list object) instead of parsing anew."""
    start = time.monotonic()
    try:
        status, ctype, body, hdrs = fetch(
            url,
            timeout=timeout,
            auth=auth,
            accept=ACCEPT_OPENMETRICS if openmetrics else ACCEPT_TEXT,
            max_bytes=max_bytes,
        )
    except FetchError as exc:
        raise ScrapeError(url, exc.reason, exc.detail, exc.status) from exc
    if previous is not None and previous.content_type == ctype and previous.body == body:
        return Scrape(url, previous.families, ctype, time.monotonic() - start, len(body), status, hdrs, body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScrapeError(url, "garbage", "body is not UTF-8") from exc
    try:
        families = parse(text, ctype)
    except ParseError as exc:
        raise ScrapeError(url, "garbage", str(exc)) from exc
    return Scrape(url, families, ctype, time.monotonic() - start, len(body), status, hdrs, body)
