"""Round-trip edits of Lavalink's application.yml for the lavametrics plugin.

Operators keep comments and layout in application.yml, so every edit goes through
ruamel.yaml's round-trip mode with the file's own indentation detected and re-used; only
the lines we change may change. Writes are atomic (temp file in the same directory, fsync,
os.replace), keep the file's owner, group and mode, and the previous version is kept as
``application.yml.bak`` (see ``fsutil``). Each edit holds a lock from reading to writing, so
concurrent editors queue instead of overwriting each other's changes.

A UTF-8 BOM is kept. A multi-document file (Spring profiles, ``---`` separated) is read and
edited in the document holding ``plugins`` (the first document when none does); the other
documents are written back byte for byte. Files over ``MAX_CONFIG_BYTES`` and YAML whose
aliases expand beyond ``yamlread``'s bound are refused.

Every edit is validated by the plugin's own validator (``validate``) before it is written; when
that cannot run (no Java, no jar) the edit is written all the same and says it was not validated.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from lavametrics import fsutil, yamlread
from lavametrics.config.catalog import Catalog, load_catalog
from lavametrics.config.validate import NotValidated, Problem, check, scalar_text
from lavametrics.errors import LavametricsError
from lavametrics.redact import MASK

SECTION = ("plugins", "lavametrics")
# Lavalink's own example is under 10 KB; parsing 256 KiB takes about 2 s of CPU, so nothing
# real is refused and nothing refused could stall an edit for long.
MAX_CONFIG_BYTES = 256 * 1024


class ConfigError(LavametricsError):
    """A file-level problem (unreadable, malformed YAML, bad KEY or VALUE); one line."""


# --- keys as Spring reads them ----------------------------------------------------------
# Finding a key the operator spelled ``bearer-token`` or ``REST``: the plugin's rules for which
# spellings are valid stay in the plugin; these only locate what is already in the file.

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def same_key(given, canonical: str) -> bool:
    """Whether a key as written (``bearer_token``, ``REST``) is ``canonical`` to Spring's relaxed
    binding: equal once ``-`` and ``_`` are dropped and ASCII letters lower-cased."""

    def relaxed(name: str) -> str:
        return name.replace("-", "").replace("_", "").translate(_ASCII_LOWER)

    return relaxed(str(given)) == relaxed(canonical)


def to_camel(segment: str) -> str:
    """A key as the catalog spells it: ``-`` and ``_`` dropped, the ASCII letter after them upper-cased."""
    out, upper = [], False
    for ch in segment:
        if ch in "-_":
            upper = True
        else:
            out.append(ch.upper() if upper and "a" <= ch <= "z" else ch)
            upper = False
    return "".join(out)


def lookup(section, dotted: str):
    """The value at a dotted camelCase path, matching any Spring spelling; None when absent."""
    node: object = section
    for seg in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = next((v for k, v in node.items() if same_key(k, seg)), None)
    return node


def render(value) -> str | None:
    """A value as ``show`` and messages print it; a top-level list comma-separated, as it could
    have been written. None stays None (not set)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ",".join(_nested(v) for v in value)
    return _nested(value)


def _nested(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_nested(k)}: {_nested(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return scalar_text(value)


@dataclass
class Finding:
    file: str
    line: int | None
    key: str  # full dotted path, e.g. plugins.lavametrics.endpoint.port
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
        return {
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "value": self.value,
            "message": self.message,
            "allowed": self.allowed,
        }


@dataclass
class ValidationReport:
    file: str
    validator: str | None  # the plugin jar that judged; None when none could
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    not_validated: str | None = None  # why nothing judged: one line, "not validated: ..."

    @property
    def valid(self) -> bool | None:
        """True or False as the plugin judged; None when it could not run."""
        return None if self.not_validated else not self.errors

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "valid": self.valid,
            "validator": self.validator,
            "notValidated": self.not_validated,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


# --- reading ---------------------------------------------------------------------------


def _detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file already uses them, for ruamel's dumper.

    ruamel's dumper does not keep the indentation it read; with its defaults it would
    re-indent every untouched nested block, so we measure the first nested mapping and
    sequence. Not ``ruamel.yaml.util.load_yaml_guess_indent``: it loads the document itself,
    outside yamlread's bounds and one-line errors, and takes a comment ending in ``:`` for a key.
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
    y = yamlread.new_yaml()
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines the user wrote on one line
    m, s, o = _detect_indent(text)
    y.indent(mapping=m, sequence=s, offset=o)
    return y


@dataclass
class ConfigFile:
    path: Path
    text: str  # as read, line endings and BOM included
    doc: dict  # the document we read and edit (a mapping: _load_doc refuses anything else)
    yaml: YAML
    newline: str = "\n"
    bom: bool = False
    before: str = ""  # the documents before ``doc`` and its own '---' line, verbatim (LF)
    after: str = ""  # the documents after it, verbatim (LF)
    line_offset: int = 0  # lines of the file before ``doc``'s first line
    body: str = ""  # ``doc``'s text as read (LF)

    @property
    def section(self):
        node = self.doc
        for seg in SECTION:
            if not isinstance(node, dict) or seg not in node:
                return None
            node = node[seg]
        return node

    def key_line(self, mapping, key) -> int | None:
        """1-based line in the whole file of ``key`` in ``mapping``."""
        try:
            return mapping.lc.key(key)[0] + 1 + self.line_offset
        except Exception:
            return None

    def dump(self) -> str:
        buf = io.StringIO()
        self.yaml.dump(self.doc, buf)
        out = buf.getvalue()
        if self.body and not self.body.endswith("\n") and out.endswith("\n"):
            out = out[:-1]
        before = self.before
        if before and not before.endswith("\n") and out:  # a file ending in '---' gets its line end
            before += "\n"
        out = before + out + self.after
        if self.newline != "\n":
            out = out.replace("\n", self.newline)
        return ("\ufeff" if self.bom else "") + out


_DOC_MARKER = re.compile(r"---(?:[ \t]|$)")


def _documents(text: str) -> list[tuple[str, str, int]]:
    """(marker line, body, line offset of the body) of each '---'-separated document.

    A line starting with '---' and a blank is a document marker wherever it is, even
    inside a block scalar (YAML forbids such a line as content), so splitting by lines
    is exact. The first document has no marker line."""
    docs: list[tuple[str, str, int]] = []
    body: list[str] = []
    marker, start = "", 0
    for i, line in enumerate(text.splitlines(keepends=True)):
        if _DOC_MARKER.match(line):
            docs.append((marker, "".join(body), start))
            marker, body, start = line, [], i + 1
        else:
            body.append(line)
    docs.append((marker, "".join(body), start))
    return docs


def _has_content(body: str) -> bool:
    for line in body.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%")) and stripped != "...":
            return True
    return False


def _load_doc(p: Path, text: str, line_offset: int) -> tuple[dict, YAML]:
    y = _yaml(text)
    try:
        doc = yamlread.load(y, text, p, line_offset)
    except yamlread.YamlReadError as exc:
        raise ConfigError(str(exc)) from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise ConfigError(f"{p}:{line_offset + 1}:1: top level must be a mapping, not {type(doc).__name__}")
    return doc, y


def read(path: str | os.PathLike) -> ConfigFile:
    p = Path(path)
    try:
        text = yamlread.decode(yamlread.read_bytes(p, "application.yml", MAX_CONFIG_BYTES), p)
    except yamlread.YamlReadError as exc:
        raise ConfigError(str(exc)) from None
    bom = text.startswith("\ufeff")
    unbommed = text[1:] if bom else text
    # ruamel keeps the \r inside comments but drops it after plain values, so
    # a CRLF file would come back with mixed endings: parse LF only, restore CRLF on dump.
    # In a file that mixes both, the more common ending wins.
    newline = "\r\n" if 2 * unbommed.count("\r\n") > unbommed.count("\n") else "\n"
    lf_text = unbommed.replace("\r\n", "\n")
    docs = _documents(lf_text)
    if len(docs) == 1:
        doc, y = _load_doc(p, lf_text, 0)
        return ConfigFile(p, text, doc, y, newline, bom, body=lf_text)
    loaded = {}
    for i, (marker, body, offset) in enumerate(docs):
        rest = marker[3:].strip()
        if rest and not rest.startswith("#"):
            raise ConfigError(f"{p}:{offset}: content on a '---' line is not supported in a multi-document file")
        if _has_content(body):
            loaded[i] = _load_doc(p, body, offset)
    holding = [i for i, (doc, _y) in loaded.items() if "plugins" in doc]
    target = holding[0] if holding else (min(loaded) if loaded else len(docs) - 1)
    doc, y = loaded[target] if target in loaded else _load_doc(p, docs[target][1], docs[target][2])
    before = "".join(m + b for m, b, _o in docs[:target]) + docs[target][0]
    after = "".join(m + b for m, b, _o in docs[target + 1 :])
    return ConfigFile(p, text, doc, y, newline, bom, before, after, docs[target][2], docs[target][1])


def _line_of(cf: ConfigFile, dotted: str) -> int | None:
    """1-based line of the deepest existing key on a dotted path (kebab-case tolerant)."""
    node, line = cf.doc, None
    for seg in dotted.split("."):
        if not isinstance(node, dict):
            break
        match = next((k for k in node if to_camel(str(k)) == seg or str(k) == seg), None)
        if match is None:
            break
        line = cf.key_line(node, match) or line
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
        value = lookup(section, ck.key)
        present = value is not None
        shown = render(value) if present else ck.default
        if ck.secret and shown not in (None, ""):
            shown = MASK
        entries.append(
            {
                "key": ck.key,
                "value": shown,
                "source": "file" if present else "default",
                "line": _line_of(cf, "plugins.lavametrics." + ck.key) if present else None,
                "secret": ck.secret,
            }
        )
    prom = cf.doc.get("metrics", {}) if isinstance(cf.doc.get("metrics"), dict) else {}
    prom = prom.get("prometheus", {}) if isinstance(prom.get("prometheus"), dict) else {}
    return {
        "file": str(cf.path),
        "sectionPresent": cf.section is not None,
        "metrics.prometheus.enabled": prom.get("enabled"),
        "metrics.prometheus.endpoint": prom.get("endpoint"),
        "entries": entries,
    }


# --- validate --------------------------------------------------------------------------


def _findings(cf: ConfigFile, problems: list[Problem]) -> list[Finding]:
    out = []
    for pr in problems:
        full = "plugins.lavametrics" + (f".{pr.key}" if pr.key else "")
        out.append(Finding(str(cf.path), _line_of(cf, full), full, pr.value, pr.message, pr.allowed))
    return out


def _warnings(cf: ConfigFile) -> list[Finding]:
    warns = []
    metrics = cf.doc.get("metrics")
    prom = metrics.get("prometheus") if isinstance(metrics, dict) else None
    own = lookup(cf.section, "endpoint.enabled") if isinstance(cf.section, dict) else None
    own_on = own is True or (isinstance(own, str) and own.lower() == "true")
    enabled = prom.get("enabled") if isinstance(prom, dict) else None
    if enabled is not True and not own_on:
        warns.append(
            Finding(
                str(cf.path),
                _line_of(cf, "metrics.prometheus.enabled"),
                "metrics.prometheus.enabled",
                render(enabled),
                "Lavalink's /metrics is off and the plugin's own endpoint is disabled: nothing is exported",
                "true",
            )
        )
    elif enabled is True and not (isinstance(prom, dict) and prom.get("endpoint")):
        warns.append(
            Finding(
                str(cf.path),
                _line_of(cf, "metrics.prometheus"),
                "metrics.prometheus.endpoint",
                None,
                "not set: Lavalink then demands its password on /metrics, which Prometheus cannot send",
                "/metrics",
            )
        )
    return warns


def server_port(doc) -> str | None:
    """Lavalink's ``server.port`` as the file writes it (either spelling Spring reads: nested or
    the flat ``server.port`` key), None when unset. The plugin decides what the text means,
    as it does for the running node; a mapping or list there is no port ("")."""
    value = None
    for key, given in doc.items():
        if same_key(key, "server") and isinstance(given, dict):
            value = lookup(given, "port")
        elif same_key(key, "server.port"):
            value = given
    if value is None:
        return None
    return "" if isinstance(value, (dict, list)) else scalar_text(value)


def plugins_dir(cf: ConfigFile) -> Path:
    """Where the node loads plugins from: ``lavalink.pluginsDir`` (Lavalink's default ./plugins),
    relative to the file's directory, the working directory a node is normally started in."""
    given = lookup(cf.doc, "lavalink.pluginsDir")
    return cf.path.parent / (given if isinstance(given, str) and given.strip() else "plugins")


def validate_doc(cf: ConfigFile, jar=None) -> ValidationReport:
    """The plugin's verdict on ``cf``'s section, or a report saying why there is none."""
    warnings = _warnings(cf)
    try:
        problems, judge = check(cf.section, server_port(cf.doc), jar=jar, plugins_dir=plugins_dir(cf))
    except NotValidated as exc:
        return ValidationReport(str(cf.path), None, [], warnings, str(exc))
    return ValidationReport(str(cf.path), str(judge), _findings(cf, problems), warnings)


def validate(path, jar=None) -> ValidationReport:
    return validate_doc(read(path), jar)


# --- writing ---------------------------------------------------------------------------


def _may_show(full: str, catalog: Catalog) -> bool:
    """Whether a value found at dotted path ``full`` may appear in a message: not when it sits
    where a secret belongs (``endpoint.auth: hunter2`` is probably the password)."""
    below = full.removeprefix(".".join(SECTION) + ".")
    if below == full:
        return True  # outside our section: Lavalink's keys there are not mapped to values
    secret = [c.key for c in catalog.config if c.secret]
    holders = {k.rsplit(".", 1)[0] for k in secret if "." in k} | set(secret)
    return not any(below == h or below.startswith(h + ".") for h in holders)


def _child(cf: ConfigFile, catalog: Catalog, mapping, parent: str, seg: str):
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
        line = cf.key_line(mapping, key)
        where = f"{cf.path}:{line}" if line else str(cf.path)
        shown = render(value) if _may_show(full, catalog) else MASK
        raise ConfigError(
            f"{where}: {full}: value {shown!r}: must be a mapping (left as it is: fix or remove it first)"
        )
    return mapping[key]


def _set(cf: ConfigFile, catalog: Catalog, mapping, dotted: str, value) -> None:
    """Set ``dotted`` below plugins.lavametrics (``mapping``) to ``value``."""
    segs = dotted.split(".")
    node, parent = mapping, ".".join(SECTION)
    for seg in segs[:-1]:
        node = _child(cf, catalog, node, parent, seg)
        parent += "." + seg
    last = segs[-1]
    key = next((k for k in node if str(k) == last or to_camel(str(k)) == last), last)
    node[key] = value


NOT_VALIDATED_ON_REQUEST = "not validated: skipped on request (--no-validate)"


@dataclass
class EditResult:
    file: Path  # the file written: a symlink's target
    changed: bool
    backup: Path | None  # where the previous version is, when something was written
    text: str
    validator: str | None = None  # the plugin jar that passed the result
    not_validated: str | None = None  # why none did: one line, "not validated: ..."


def _save(cf: ConfigFile, jar=None, validate: bool = True) -> EditResult:
    # refuse to write a config the plugin would reject: the user gets the error, not a dead node.
    # Unjudged (no Java) it is written all the same: the edit is as safe as one made by hand
    # (atomic, with a backup), and the result says it was not validated.
    report = validate_doc(cf, jar) if validate else None
    if report is not None and report.errors:
        raise ConfigError("refusing to write an invalid config: " + "; ".join(str(e) for e in report.errors))
    judged = (report.validator, report.not_validated) if report else (None, NOT_VALIDATED_ON_REQUEST)
    text = cf.dump()
    if text == cf.text:
        return EditResult(fsutil.real_path(cf.path), False, None, text, *judged)
    backup = fsutil.atomic_write(cf.path, text)
    return EditResult(fsutil.real_path(cf.path), True, backup, text, *judged)


def _edit(path, catalog: Catalog | None, jar, validate: bool, change) -> EditResult:
    """Read, ``change(cf, catalog)``, validate and write ``path`` under its edit lock: an
    editor that ran meanwhile has either finished (and we read its result) or waits."""
    catalog = catalog or load_catalog(prefer_jar=False)
    # a missing file, or one that is (or links to) a device, FIFO, socket or directory: the
    # one-line error before a lock file is made beside it, and nothing written in its place
    try:
        fsutil.stat_regular(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with fsutil.locked(path):
        cf = read(path)
        change(cf, catalog)
        return _save(cf, jar, validate)


def _section_for_write(cf: ConfigFile, catalog: Catalog):
    plugins = _child(cf, catalog, cf.doc, "", SECTION[0])
    return _child(cf, catalog, plugins, SECTION[0], SECTION[1])


def enable(path, catalog: Catalog | None = None, jar=None, validate: bool = True) -> EditResult:
    """Turn on Lavalink's Prometheus endpoint at /metrics (anonymous, as Prometheus needs) and
    write the group switches. Existing choices are kept, except that a fully disabled group
    set (what ``disable`` leaves) is restored to the defaults."""

    def change(cf, catalog):
        prom = _child(cf, catalog, _child(cf, catalog, cf.doc, "", "metrics"), "metrics", "prometheus")
        prom["enabled"] = True
        if not prom.get("endpoint"):
            prom["endpoint"] = "/metrics"
        section = _section_for_write(cf, catalog)
        groups = [c for c in catalog.config if c.key.startswith("groups.")]
        current = {c.key: lookup(section, c.key) for c in groups}
        all_off = all(v in (False, "false") for v in current.values())
        for c in groups:
            if current[c.key] is None or all_off:
                _set(cf, catalog, section, c.key, (c.default or "true").lower() == "true")

    return _edit(path, catalog, jar, validate, change)


def disable(path, catalog: Catalog | None = None, jar=None, validate: bool = True) -> EditResult:
    """Switch every group and the own endpoint off but keep the rest of the section (buckets,
    endpoint address and credentials). ``enable`` afterwards turns the groups back on at their
    defaults; the endpoint stays off until ``set endpoint.enabled true``. Lavalink's own
    metrics stay as they are: other dashboards may rely on them."""

    def change(cf, catalog):
        section = _section_for_write(cf, catalog)
        for c in catalog.config:
            if c.key.startswith("groups."):
                _set(cf, catalog, section, c.key, False)
        if lookup(section, "endpoint.enabled") is not None or "endpoint" in section:
            _set(cf, catalog, section, "endpoint.enabled", False)

    return _edit(path, catalog, jar, validate, change)


_BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def parse_value(key: str, raw: str, catalog: Catalog):
    """Turn the command-line VALUE into the YAML value for KEY according to its catalog type."""
    try:
        ck = catalog.config_key(key)
    except KeyError:
        raise ConfigError(f"unknown key {key!r} (known: {', '.join(c.key for c in catalog.config)})") from None
    t = ck.type
    text = raw.strip()
    shown = MASK if ck.secret else raw
    if t == "boolean":
        if text.lower() not in _BOOL_WORDS:
            raise ConfigError(f"{key}: value {shown!r}: must be true or false")
        return _BOOL_WORDS[text.lower()]
    if t == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ConfigError(f"{key}: value {shown!r}: must be an integer")
        return int(text)
    if t in ("number-list", "cidr-list"):
        if text.startswith("["):
            try:  # bounded: a VALUE can hold an alias bomb as well as a file can
                items = yamlread.load(yamlread.new_yaml(), text, "<command line>")
            except yamlread.YamlReadError:
                raise ConfigError(f"{key}: value {shown!r}: not a YAML flow list") from None
            if not isinstance(items, list):
                raise ConfigError(f"{key}: value {shown!r}: not a list")
        else:
            items = [p.strip() for p in text.split(",") if p.strip()]
        if t == "number-list":
            try:
                items = [int(i) if re.fullmatch(r"[+-]?\d+", str(i)) else float(i) for i in items]
            except ValueError:
                raise ConfigError(f"{key}: value {shown!r}: must be a list of numbers") from None
        else:
            items = [str(i) for i in items]
        seq = CommentedSeq(items)
        seq.fa.set_flow_style()
        return seq
    return raw  # "string": as given


def set_value(path, key: str, raw: str, catalog: Catalog | None = None, jar=None, validate: bool = True) -> EditResult:
    return set_values(path, [(key, raw)], catalog, jar, validate)


def set_values(
    path, assignments: list[tuple[str, str]], catalog: Catalog | None = None, jar=None, validate: bool = True
) -> EditResult:
    """Apply every KEY=VALUE, then validate and write once.

    Some settings are only valid together (basic auth needs a username and a password), so
    they must land in one write: validating after each would refuse the first of the pair.
    """

    def change(cf, catalog):
        section = _section_for_write(cf, catalog)
        for key, raw in assignments:
            key = ".".join(to_camel(s) for s in key.removeprefix("plugins.lavametrics.").split("."))
            _set(cf, catalog, section, key, parse_value(key, raw, catalog))

    return _edit(path, catalog, jar, validate, change)
