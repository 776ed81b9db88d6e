"""The ``_total`` rule for counter names, in one place.

A counter's samples are exposed as ``<base>_total``, and prometheus_client's parsers report
the family under ``<base>`` (the suffix belongs to the sample, not the family). The catalog
spells counters with the suffix (``lavametrics_loads_total``), so every comparison between
a catalog name, a parsed family and an exposed sample goes through these two functions.
"""

from __future__ import annotations

COUNTER_SUFFIX = "_total"


def counter_base(name: str) -> str:
    """``name`` without its ``_total`` suffix: the family name a parsed exposition uses."""
    return name[: -len(COUNTER_SUFFIX)] if name.endswith(COUNTER_SUFFIX) else name


def counter_sample_name(base: str) -> str:
    """The name a counter family ``base`` gives its samples."""
    return base + COUNTER_SUFFIX
