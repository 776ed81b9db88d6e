"""Turn exposition text into prometheus_client ``Metric`` families.

Both formats go through prometheus_client's own parsers so that what we read is exactly
what prometheus_client would write back; the format is chosen from the Content-Type the
server sent, not sniffed, because the two formats differ in details (``# EOF``, ``_total``,
``_created``) that sniffing gets wrong.
"""

from __future__ import annotations

from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics import parser as om_parser
from prometheus_client import parser as text_parser

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


class ParseError(ValueError):
    """The body is not a valid exposition (first line of the parser's complaint kept)."""


def is_openmetrics(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() == "application/openmetrics-text"


def parse(text: str, content_type: str | None = None) -> list[Metric]:
    """Parse a whole exposition; any syntax error fails the whole body (no partial result),
    since a half-read exposition would make missing families look like real absences."""
    try:
        if is_openmetrics(content_type):
            return list(om_parser.text_string_to_metric_families(text))
        families = list(text_parser.text_string_to_metric_families(text))
    except Exception as exc:  # the parsers raise ValueError, IndexError, KeyError...
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParseError(f"not a Prometheus exposition: {msg[:200]}") from exc
    _reject_untyped_garbage(text, families)
    return families


def _reject_untyped_garbage(text: str, families: list[Metric]) -> None:
    # The 0.0.4 parser is lenient: an HTML page whose lines happen to look like
    # "name value" parses as untyped samples. A real exporter starts with '#' lines or
    # metric names; a body starting with '<' or '{' is a web page or JSON, not metrics.
    head = text.lstrip()[:1]
    if head in ("<", "{", "["):
        raise ParseError("not a Prometheus exposition: body looks like HTML or JSON")


def by_name(families: list[Metric]) -> dict[str, Metric]:
    return {fam.name: fam for fam in families}
