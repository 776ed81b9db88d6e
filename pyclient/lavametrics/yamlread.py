"""Reading the YAML files people hand us (application.yml, the nodes file) within bounds.

- Kind: only regular files are read; a device, FIFO, socket or directory is refused before
  it is read (``/dev/zero`` would fill memory, a FIFO would block forever; see ``fsutil``).
- Size: a file over its limit (``MAX_FILE_BYTES`` unless the caller gives one) is refused
  before parsing. ruamel.yaml's pure-Python parser needs about 10 s of CPU per MiB, so a
  50 MB file would never finish, and no real config comes close to the limits.
- Aliases: a few hundred bytes of anchors and aliases can stand for a billion nodes (the
  "billion laughs"). ruamel keeps an aliased node shared, so loading stays cheap, but
  everything that later walks the result (validation, rendering a value in a message)
  expands it. Documents whose aliases expand to more than ``MAX_EXPANDED_NODES`` nodes, or
  that alias themselves, are refused while composing, before anything walks them.
- Nesting deeper than ``MAX_DEPTH`` is refused too (it would end in a RecursionError).
- Errors are one line, ``file:line:col: problem``, and never carry a scalar from the file:
  ruamel's duplicate-key message quotes both values, and the key may be ``password``.
  Callers checking what was loaded name the place the same way, with ``where``.
"""

from __future__ import annotations

import os
import re

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, SequenceNode

from lavametrics import fsutil
from lavametrics.errors import LavametricsError

MAX_FILE_BYTES = 1024 * 1024
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 100


class YamlReadError(LavametricsError, ValueError):
    """One line, starting with the file (and line when known)."""


class _ExpansionError(MarkedYAMLError):
    pass


def _children(node):
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, SequenceNode):
        yield from node.value


def _check_expansion(root) -> None:
    """Count the nodes ``root`` stands for with every alias expanded, without expanding:
    each distinct node is visited once and its expanded size remembered."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        nid = id(node)
        if finished:
            on_path.discard(nid)
            sizes[nid] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[nid] > MAX_EXPANDED_NODES:
                raise _ExpansionError(
                    None,
                    None,
                    f"aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?): refused",
                    node.start_mark,
                )
            continue
        if nid in sizes:
            continue
        if nid in on_path:  # LIFO: a node still on the path is an ancestor of itself
            raise _ExpansionError(None, None, "an alias refers to a node that contains it: refused", node.start_mark)
        on_path.add(nid)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)


class _BoundedComposer(Composer):
    def compose_document(self):
        node = super().compose_document()
        if node is not None:
            _check_expansion(node)
        return node


def new_yaml() -> YAML:
    """A round-trip loader with the alias and depth bounds; callers set layout options."""
    y = YAML(typ="rt")
    y.Composer = _BoundedComposer
    y.max_depth = MAX_DEPTH
    return y


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n // 1024} KiB"


def read_bytes(path: str | os.PathLike, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing files over ``limit`` (``what`` names the file kind in the
    message) and anything but a regular file: a FIFO would block the open until a writer
    comes, and /dev/zero never ends. O_NONBLOCK makes the open of a FIFO return at once; it
    changes nothing for a regular file."""
    try:
        with os.fdopen(fsutil.open_regular(path), "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise YamlReadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise YamlReadError(
            f"{path}: larger than the {_size(limit)} limit for {what}: refused (is this the right file?)"
        )
    return raw


def decode(raw: bytes, path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlReadError(f"{path}: not UTF-8 text (byte {exc.start})") from None


_VALUE_QUOTE = re.compile(r' with value ".*', re.S)


def _problem(exc: YAMLError) -> str:
    if isinstance(exc, DuplicateKeyError):
        # 'found duplicate key "password" with value "x" (original value: "y")': keep the key only
        return _VALUE_QUOTE.sub("", str(exc.problem)).replace("found duplicate key", "duplicate key")
    if isinstance(exc, MaxDepthExceededError):
        return f"nested deeper than {MAX_DEPTH} levels: refused"
    return getattr(exc, "problem", None) or str(exc).splitlines()[0]


def load(y: YAML, text: str, path, line_offset: int = 0):
    """Parse ``text`` (the document at ``line_offset`` lines into ``path``) or raise a
    one-line YamlReadError."""
    try:
        return y.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1 + line_offset}:{mark.column + 1}" if mark else str(path)
        bounded = isinstance(exc, (_ExpansionError, MaxDepthExceededError, DuplicateKeyError))
        prefix = "" if bounded else "malformed YAML: "
        raise YamlReadError(f"{where}: {prefix}{_problem(exc)}") from None
    except RecursionError:
        raise YamlReadError(f"{path}: nested too deeply: refused") from None


def line_of(node, key, *, value: bool = False) -> int | None:
    """The 1-based line of ``key`` (or of its value) in a mapping this module loaded, or of
    item ``key`` of a sequence; None when unknown (a plain dict or list, a key added after
    loading)."""
    try:
        if isinstance(node, list):
            return node.lc.item(key)[0] + 1  # type: ignore[attr-defined]  # ruamel's CommentedSeq
        return (node.lc.value(key) if value else node.lc.key(key))[0] + 1
    except Exception:  # noqa: BLE001 (ruamel raises KeyError, AttributeError or TypeError here)
        return None


def where(path, node, key, *, value: bool = False) -> str:
    """``path:line`` of ``key`` (or its value) in ``node``, for an error message: the node's
    own line when the key's is unknown, the bare path when neither is."""
    line = line_of(node, key, value=value)
    if line is None:
        try:
            line = node.lc.line + 1
        except Exception:  # noqa: BLE001 (a plain dict has no line information)
            return str(path)
    return f"{path}:{line}"
