"""The metric catalog: which families the plugin exports and which config keys it reads.

The Java plugin is the single source of truth. The packaged ``data/catalog.json`` is a copy
made at build time so that the client works without a JVM; a unit test keeps the two equal.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from importlib import resources

from lavametrics import javatools
from lavametrics.exposition.names import counter_base

CATALOG_CLASS = "dev.lavametrics.plugin.catalog.Catalog"


@dataclass(frozen=True)
class Label:
    name: str
    values: tuple[str, ...] | None  # None: unbounded by design (only lavametrics_info.version)


@dataclass(frozen=True)
class Family:
    name: str
    type: str  # counter | gauge | histogram
    help: str
    group: str
    labels: tuple[Label, ...] = ()
    buckets: tuple[float, ...] | None = None
    example: str = ""

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def parsed_name(self) -> str:
        """The family name as prometheus_client's parsers report it.

        The parsers strip ``_total`` from counter family names (the suffix belongs to the
        sample, not the family), so lookups in a parsed exposition must use this name.
        """
        return counter_base(self.name) if self.type == "counter" else self.name

    @property
    def sample_names(self) -> tuple[str, ...]:
        if self.type == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)


@dataclass(frozen=True)
class ConfigKey:
    key: str
    type: str  # boolean | integer | string | number-list | cidr-list
    default: str | None
    help: str = ""
    secret: bool = False


@dataclass(frozen=True)
class Group:
    name: str
    default_enabled: bool
    help: str = ""


@dataclass
class Catalog:
    schema: int
    plugin_name: str
    plugin_version: str
    prefix: str
    groups: list[Group]
    families: list[Family]
    config: list[ConfigKey]
    source: str = "packaged"  # "packaged" or the jar path it was read from
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def family(self, name: str) -> Family:
        """The family called ``name``: its full name (``lavametrics_frames_sent_total``), its
        parsed name (``lavametrics_frames_sent``) or either without the prefix (``frames_sent``).

        Python code that needs a plugin family asks here instead of spelling its name, so the
        plugin's catalog stays the one speller of those names."""
        for fam in self.families:
            if name in (fam.name, fam.parsed_name) or self.prefix + name in (fam.name, fam.parsed_name):
                return fam
        raise KeyError(name)

    def group(self, name: str) -> list[Family]:
        """The families of group ``name``, in catalog order (KeyError for an unknown group)."""
        if not any(g.name == name for g in self.groups):
            raise KeyError(name)
        return [fam for fam in self.families if fam.group == name]

    def config_key(self, key: str) -> ConfigKey:
        for ck in self.config:
            if ck.key == key:
                return ck
        raise KeyError(key)

    def causes(self) -> tuple[str, ...]:
        """The values of the plugin's ``cause`` label (FailureCauses), in catalog order."""
        return tuple(c["name"] for c in self.raw.get("causes", ()))

    def refusal_causes(self) -> tuple[str, ...]:
        """The causes that mean a source refuses the node (login_required, forbidden, rate_limited)."""
        return tuple(c["name"] for c in self.raw.get("causes", ()) if c.get("refusal"))

    def expected_types(self) -> dict[str, str]:
        """Parsed family name -> exposed type, ready to compare with a parsed scrape."""
        return {fam.parsed_name: fam.type for fam in self.families}

    def sample_names(self) -> dict[str, tuple[str, ...]]:
        return {fam.name: fam.sample_names for fam in self.families}


def from_dict(data: dict, source: str = "packaged") -> Catalog:
    if data.get("schema") != 1:
        raise ValueError(f"unsupported catalog schema {data.get('schema')!r} (expected 1)")
    families = []
    for f in data["families"]:
        labels = tuple(
            Label(lb["name"], tuple(lb["values"]) if lb.get("values") is not None else None)
            for lb in f.get("labels") or ()
        )
        buckets = tuple(float(b) for b in f["buckets"]) if f.get("buckets") is not None else None
        families.append(
            Family(f["name"], f["type"], f.get("help", ""), f.get("group", ""), labels, buckets, f.get("example", ""))
        )
    config = [
        ConfigKey(c["key"], c["type"], c.get("default"), c.get("help", ""), bool(c.get("secret", False)))
        for c in data.get("config", ())
    ]
    groups = [Group(g["name"], bool(g.get("defaultEnabled", True)), g.get("help", "")) for g in data.get("groups", ())]
    plugin = data.get("plugin", {})
    return Catalog(
        data["schema"],
        plugin.get("name", "lavametrics"),
        plugin.get("version", "?"),
        data.get("prefix", "lavametrics_"),
        groups,
        families,
        config,
        source,
        data,
    )


def packaged_json() -> str:
    return resources.files("lavametrics").joinpath("data/catalog.json").read_text(encoding="utf-8")


def jar_json(jar: str | os.PathLike | None = None) -> str:
    """The catalog JSON rendered by the plugin itself (raises javatools.JvmUnavailable)."""
    return javatools.run_main(CATALOG_CLASS, jar=jar)


@functools.cache
def packaged() -> Catalog:
    """The catalog packaged with this client (no JVM), read once: for code that names plugin
    families at import time. Callers must not change it."""
    return from_dict(json.loads(packaged_json()), source="packaged")


def load_catalog(jar: str | os.PathLike | None = None, prefer_jar: bool = True) -> Catalog:
    """The jar's catalog when a jar and JVM are available and preferred, else the packaged copy.

    An explicit ``jar`` is a request, not a hint: its failures propagate.
    """
    if prefer_jar or jar is not None:
        try:
            path = javatools.find_plugin_jar(jar)
            return from_dict(json.loads(jar_json(path)), source=str(path))
        except javatools.JvmUnavailable:
            if jar is not None:
                raise
    return from_dict(json.loads(packaged_json()), source="packaged")
