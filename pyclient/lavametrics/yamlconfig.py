"""Round-trip edits of Lavalink's application.yml for the lavametrics plugin.

Operators keep comments and layout in application.yml, so every edit goes through
ruamel.yaml's round-trip mode with the file's own indentation detected and re-used; only
the lines we change may change. Writes are atomic (temp file in the same directory, fsync,
os.replace) and the previous version is kept as ``application.yml.bak``.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from . import configcheck
from .fsutil import atomic_write
from .catalog import Catalog, load_catalog
from .configcheck import MASK, Problem, to_camel

SECTION = ("plugins", "lavametrics")


class ConfigError(Exception):
    """A file-level problem (unreadable, malformed YAML, bad KEY or VALUE); one line."""


@dataclass
class Finding:
    file: str
    line: int | None
    key: str          # full dotted path, e.g. plugins.lavametrics.endpoint.port
    value: str | None
    message: str
    allowed: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.key}: "
        if self.value is not None:
            text += f"value {self.value!r}: "
        text += self.message
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "key": self.key, "value": self.value,
                "message": self.message, "allowed": self.allowed}


@dataclass
class ValidationReport:
    file: str
    validator: str  # "jar" or "python"
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"file": self.file, "valid": self.valid, "validator": self.validator,
                "errors": [e.as_dict() for e in self.errors],
                "warnings": [w.as_dict() for w in self.warnings]}


# --- reading ---------------------------------------------------------------------------

def _detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file already uses them, for ruamel's dumper.

    ruamel cannot learn indentation from input; dumping with its defaults would re-indent
    every untouched nested block, so we measure the first nested mapping and sequence.
    """
    mapping = seq_offset = None
    prev_indent, prev_opens = None, False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if prev_opens and prev_indent is not None and indent > prev_indent:
            diff = indent - prev_indent
            if stripped.startswith("- "):
                if seq_offset is None:
                    seq_offset = diff
            elif mapping is None:
                mapping = diff
        body = stripped.split(" #", 1)[0].rstrip()
        prev_opens = body.endswith(":")
        prev_indent = indent if not stripped.startswith("- ") else indent + 2
        if mapping is not None and seq_offset is not None:
            break
    mapping = mapping or 2
    offset = seq_offset if seq_offset is not None else 0
    return mapping, offset + 2, offset


def _yaml(text: str) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines the user wrote on one line
    m, s, o = _detect_indent(text)
    y.indent(mapping=m, sequence=s, offset=o)
    return y


@dataclass
class ConfigFile:
    path: Path
    text: str  # as read, line endings included
    doc: object
    yaml: YAML
    newline: str = "\n"

    @property
    def section(self):
        node = self.doc
        for seg in SECTION:
            if not isinstance(node, dict) or seg not in node:
                return None
            node = node[seg]
        return node

    def dump(self) -> str:
        buf = io.StringIO()
        self.yaml.dump(self.doc, buf)
        out = buf.getvalue()
        if not self.text.endswith("\n") and out.endswith("\n") and self.text:
            out = out[:-1]
        if self.newline != "\n":
            out = out.replace("\n", self.newline)
        return out


def read(path: str | os.PathLike) -> ConfigFile:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 (byte {exc.start})") from None
    # ruamel keeps the \r inside comments but drops it after plain values, so
    # a CRLF file would come back with mixed endings: parse LF only, restore CRLF on dump.
    # In a file that mixes both, the more common ending wins.
    newline = "\r\n" if 2 * text.count("\r\n") > text.count("\n") else "\n"
    lf_text = text.replace("\r\n", "\n")
    y = _yaml(lf_text)
    try:
        doc = y.load(lf_text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{p}:{mark.line + 1}:{mark.column + 1}" if mark else str(p)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: malformed YAML: {problem}") from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise ConfigError(f"{p}:1:1: top level must be a mapping, not {type(doc).__name__}")
    return ConfigFile(p, text, doc, y, newline)


def _line_of(doc, dotted: str) -> int | None:
    """1-based line of the deepest existing key on a dotted path (kebab-case tolerant)."""
    node, line = doc, None
    for seg in dotted.split("."):
        if not isinstance(node, dict):
            break
        match = next((k for k in node if to_camel(str(k)) == seg or str(k) == seg), None)
        if match is None:
            break
        try:
            line = node.lc.key(match)[0] + 1
        except Exception:
            pass
        node = node[match]
    return line


# --- show ------------------------------------------------------------------------------

def show(path, catalog: Catalog | None = None) -> dict:
    """Every catalog key with its effective value, secrets masked, and where it came from."""
    catalog = catalog or load_catalog(prefer_jar=False)
    cf = read(path)
    section = cf.section if isinstance(cf.section, dict) else {}
    entries = []
    for ck in catalog.config:
        value = configcheck.lookup(section, ck.key)
        present = value is not None
        shown = configcheck.render(value) if present else ck.default
        if ck.secret and shown not in (None, ""):
            shown = MASK
        entries.append({"key": ck.key, "value": shown, "source": "file" if present else "default",
                        "line": _line_of(cf.doc, "plugins.lavametrics." + ck.key) if present else None,
                        "secret": ck.secret})
    prom = cf.doc.get("metrics", {}) if isinstance(cf.doc.get("metrics"), dict) else {}
    prom = prom.get("prometheus", {}) if isinstance(prom.get("prometheus"), dict) else {}
    return {"file": str(cf.path), "sectionPresent": cf.section is not None,
            "metrics.prometheus.enabled": prom.get("enabled"),
            "metrics.prometheus.endpoint": prom.get("endpoint"),
            "entries": entries}


# --- validate --------------------------------------------------------------------------

def _findings(cf: ConfigFile, problems: list[Problem]) -> list[Finding]:
    out = []
    for pr in problems:
        full = "plugins.lavametrics" + (f".{pr.key}" if pr.key else "")
        out.append(Finding(str(cf.path), _line_of(cf.doc, full), full, pr.value, pr.message, pr.allowed))
    return out


def _warnings(cf: ConfigFile) -> list[Finding]:
    warns = []
    metrics = cf.doc.get("metrics")
    prom = metrics.get("prometheus") if isinstance(metrics, dict) else None
    own = configcheck.lookup(cf.section, "endpoint.enabled") if isinstance(cf.section, dict) else None
    own_on = own is True or (isinstance(own, str) and own.lower() == "true")
    enabled = prom.get("enabled") if isinstance(prom, dict) else None
    if enabled is not True and not own_on:
        warns.append(Finding(str(cf.path), _line_of(cf.doc, "metrics.prometheus.enabled"),
                             "metrics.prometheus.enabled", configcheck.render(enabled),
                             "Lavalink's /metrics is off and the plugin's own endpoint is disabled: nothing is exported",
                             "true"))
    elif enabled is True and not (isinstance(prom, dict) and prom.get("endpoint")):
        warns.append(Finding(str(cf.path), _line_of(cf.doc, "metrics.prometheus"), "metrics.prometheus.endpoint",
                             None, "not set: Lavalink then demands its password on /metrics, which Prometheus cannot send",
                             "/metrics"))
    return warns


def validate_doc(cf: ConfigFile, catalog: Catalog | None = None, jar=None, use_jar: bool = True) -> ValidationReport:
    problems, validator = configcheck.check(cf.section, catalog, jar=jar, use_jar=use_jar,
                                            server_port=configcheck.server_port_of(cf.doc))
    return ValidationReport(str(cf.path), validator, _findings(cf, problems), _warnings(cf))


def validate(path, catalog: Catalog | None = None, jar=None, use_jar: bool = True) -> ValidationReport:
    return validate_doc(read(path), catalog, jar, use_jar)


# --- writing ---------------------------------------------------------------------------

def _child(cf: ConfigFile, mapping, parent: str, seg: str):
    """The child mapping for ``seg`` below the dotted path ``parent`` (matching kebab-case
    spellings already in the file), created when missing or empty."""
    key = next((k for k in mapping if str(k) == seg or to_camel(str(k)) == seg), None)
    if key is None:
        mapping[seg] = CommentedMap()
        return mapping[seg]
    value = mapping[key]
    if value is None:
        mapping[key] = CommentedMap()
    elif not isinstance(value, dict):
        # replacing it would silently drop what the user wrote there
        full = f"{parent}.{seg}" if parent else seg
        try:
            where = f"{cf.path}:{mapping.lc.key(key)[0] + 1}"
        except Exception:
            where = str(cf.path)
        raise ConfigError(f"{where}: {full}: value {configcheck.render(value)!r}: "
                          "must be a mapping (left as it is: fix or remove it first)")
    return mapping[key]


def _set(cf: ConfigFile, mapping, dotted: str, value) -> None:
    """Set ``dotted`` below plugins.lavametrics (``mapping``) to ``value``."""
    segs = dotted.split(".")
    node, parent = mapping, ".".join(SECTION)
    for seg in segs[:-1]:
        node = _child(cf, node, parent, seg)
        parent += "." + seg
    last = segs[-1]
    key = next((k for k in node if str(k) == last or to_camel(str(k)) == last), last)
    node[key] = value


def _save(cf: ConfigFile, catalog: Catalog, jar=None, use_jar: bool = True) -> str:
    # refuse to write a config the plugin would reject: the user gets the error, not a dead node
    report = validate_doc(cf, catalog, jar, use_jar)
    if not report.valid:
        raise ConfigError("refusing to write an invalid config: " + "; ".join(str(e) for e in report.errors))
    text = cf.dump()
    if text != cf.text:
        atomic_write(cf.path, text)
    return text


def _section_for_write(cf: ConfigFile):
    plugins = _child(cf, cf.doc, "", SECTION[0])
    return _child(cf, plugins, SECTION[0], SECTION[1])


def enable(path, catalog: Catalog | None = None, jar=None, use_jar: bool = True) -> str:
    """Turn on Lavalink's Prometheus endpoint at /metrics (anonymous, as Prometheus needs) and
    write the group switches. Existing choices are kept, except that a fully disabled group
    set (what ``disable`` leaves) is restored to the defaults."""
    catalog = catalog or load_catalog(prefer_jar=False)
    cf = read(path)
    prom = _child(cf, _child(cf, cf.doc, "", "metrics"), "metrics", "prometheus")
    prom["enabled"] = True
    if not prom.get("endpoint"):
        prom["endpoint"] = "/metrics"
    section = _section_for_write(cf)
    groups = [c for c in catalog.config if c.key.startswith("groups.")]
    current = {c.key: configcheck.lookup(section, c.key) for c in groups}
    all_off = all(v in (False, "false") for v in current.values())
    for c in groups:
        if current[c.key] is None or all_off:
            _set(cf, section, c.key, (c.default or "true").lower() == "true")
    return _save(cf, catalog, jar, use_jar)


def disable(path, catalog: Catalog | None = None, jar=None, use_jar: bool = True) -> str:
    """Switch every group and the own endpoint off but keep the rest of the section (buckets,
    endpoint address and credentials). ``enable`` afterwards turns the groups back on at their
    defaults; the endpoint stays off until ``set endpoint.enabled true``. Lavalink's own
    metrics stay as they are: other dashboards may rely on them."""
    catalog = catalog or load_catalog(prefer_jar=False)
    cf = read(path)
    section = _section_for_write(cf)
    for c in catalog.config:
        if c.key.startswith("groups."):
            _set(cf, section, c.key, False)
    if configcheck.lookup(section, "endpoint.enabled") is not None or "endpoint" in section:
        _set(cf, section, "endpoint.enabled", False)
    return _save(cf, catalog, jar, use_jar)


_BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True,
               "false": False, "no": False, "off": False, "0": False}


def parse_value(key: str, raw: str, catalog: Catalog):
    """Turn the command-line VALUE into the YAML value for KEY according to its catalog type."""
    try:
        ck = catalog.config_key(key)
    except KeyError:
        raise ConfigError(f"unknown key {key!r} (known: {', '.join(c.key for c in catalog.config)})") from None
    t = ck.type
    text = raw.strip()
    if t == "boolean":
        if text.lower() not in _BOOL_WORDS:
            raise ConfigError(f"{key}: value {raw!r}: must be true or false")
        return _BOOL_WORDS[text.lower()]
    if t == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ConfigError(f"{key}: value {raw!r}: must be an integer")
        return int(text)
    if t in ("string-list", "number-list", "cidr-list"):
        if text.startswith("["):
            try:
                items = YAML(typ="safe").load(text)
            except YAMLError:
                raise ConfigError(f"{key}: value {raw!r}: not a YAML flow list") from None
            if not isinstance(items, list):
                raise ConfigError(f"{key}: value {raw!r}: not a list")
        else:
            items = [p.strip() for p in text.split(",") if p.strip()]
        if t == "number-list":
            try:
                items = [int(i) if re.fullmatch(r"[+-]?\d+", str(i)) else float(i) for i in items]
            except ValueError:
                raise ConfigError(f"{key}: value {raw!r}: must be a list of numbers") from None
        else:
            items = [str(i) for i in items]
        seq = CommentedSeq(items)
        seq.fa.set_flow_style()
        return seq
    if t.startswith("enum:"):
        options = t[len("enum:"):].split("|")
        if text not in options:
            raise ConfigError(f"{key}: value {raw!r}: must be one of {'|'.join(options)}")
    return raw


def set_value(path, key: str, raw: str, catalog: Catalog | None = None, jar=None, use_jar: bool = True) -> str:
    return set_values(path, [(key, raw)], catalog, jar, use_jar)


def set_values(path, assignments: list[tuple[str, str]], catalog: Catalog | None = None, jar=None,
               use_jar: bool = True) -> str:
    """Apply every KEY=VALUE, then validate and write once.

    Some settings are only valid together (basic auth needs a username and a password), so
    they must land in one write: validating after each would refuse the first of the pair.
    """
    catalog = catalog or load_catalog(prefer_jar=False)
    cf = read(path)
    section = _section_for_write(cf)
    for key, raw in assignments:
        key = ".".join(to_camel(s) for s in key.removeprefix("plugins.lavametrics.").split("."))
        _set(cf, section, key, parse_value(key, raw, catalog))
    return _save(cf, catalog, jar, use_jar)
