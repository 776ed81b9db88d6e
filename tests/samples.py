"""Expositions as {(sample name, labels): value}, for exact assertions in unit and integration tests."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, tuple[tuple[str, str], ...]]


def fetch_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode()


def parse(text: str) -> dict[Key, float]:
    out: dict[Key, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def scrape(url: str) -> dict[Key, float]:
    return parse(fetch_text(url))


def value(samples: dict[Key, float], name: str, **labels: str) -> float:
    """One sample's value; 0 when the series is absent would hide bugs, so absence raises."""
    key = (name, tuple(sorted(labels.items())))
    if key not in samples:
        similar = sorted({k for k in samples if k[0] == name})
        raise AssertionError(f"no sample {name}{labels}; have {similar[:12]}")
    return samples[key]


def registry_value(registry, name: str, **labels: str) -> float:
    """One sample's value from a prometheus_client registry (the bot's, in-process). The bot
    declares its series at 0 before their first event, so absence raises here too."""
    found = registry.get_sample_value(name, labels)
    if found is None:
        raise AssertionError(f"no sample {name}{labels} in the registry")
    return found


def delta(before: dict[Key, float], after: dict[Key, float], name: str, **labels: str) -> float:
    """How much a series grew between two scrapes. The plugin creates most label combinations
    when they first happen, so a series absent *before* counts as 0; absent *after* raises."""
    key = (name, tuple(sorted(labels.items())))
    return value(after, name, **labels) - before.get(key, 0.0)


def total(samples: dict[Key, float], name: str, **match: str) -> float:
    """Sum of a family's samples whose labels include `match`."""
    return sum(
        v
        for (n, labels), v in samples.items()
        if n == name and all(dict(labels).get(k) == val for k, val in match.items())
    )


def wait_until(url: str, condition: Callable[[dict[Key, float]], bool], timeout: float = 10.0) -> dict[Key, float]:
    """Scrape until `condition` holds: the plugin updates counters from asynchronous hooks."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(url)
        if condition(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)
