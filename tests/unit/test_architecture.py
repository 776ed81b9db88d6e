"""docs/design/architecture.md is true: its Python layers are the import contracts `make lint`
checks, and its Java package rules hold in the plugin's sources."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "design" / "architecture.md"
PACKAGE = ROOT / "pyclient" / "lavametrics"
PLUGIN = ROOT / "lavalink-plugin" / "src" / "main" / "java" / "dev" / "lavametrics" / "plugin"


def _doc_layers() -> list[list[str]]:
    """The first cell of each row of the Python layers table, as module names."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("### Inside the Python package") :]
    rows = []
    for line in table.splitlines():
        if not line.startswith("| `"):
            if rows:
                break
            continue
        first = re.split(r"(?<!\\)\|", line)[1]
        rows.append([name.rstrip("/") for name in re.findall(r"`([^`]+)`", first)])
    return rows


def _contract_layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers"]
    out = []
    for layer in layers["layers"]:
        names = [n.strip() for n in re.split(r"[|:]", layer)]
        # an optional "(name)" counts once the module exists
        out.append([n.strip("()") for n in names if not n.startswith("(") or _exists(n.strip("()"))])
    return out


def _exists(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()


def test_the_documented_layers_are_the_checked_ones():
    assert _doc_layers() == _contract_layers()


def test_every_module_of_the_package_is_in_a_documented_layer():
    documented = {n for row in _doc_layers() for n in row}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert modules == documented


# The plugin's package rules (architecture.md, "Inside the plugin"): which packages of the
# plugin each may import; None: any. The hooks are socket, rest and frames.
HOOKS = ("socket", "rest", "frames")
MAY_IMPORT = {
    "catalog": {"util"},
    "config": {"catalog", "util"},
    "util": set(),
    "collect": {"catalog", "config", "util"},
    "http": {"catalog", "collect", "config", "util"},
    "socket": {"catalog", "collect", "config", "util"},
    "rest": {"catalog", "collect", "config", "util"},
    "frames": {"catalog", "collect", "config", "util"},
}
JDK_ONLY = ("catalog", "config", "util")
_IMPORT = re.compile(r"^import\s+(?:static\s+)?([\w.]+)\s*;", re.M)


def _imports(package: str) -> dict[str, list[str]]:
    return {f.name: _IMPORT.findall(f.read_text(encoding="utf-8")) for f in sorted((PLUGIN / package).glob("*.java"))}


def test_the_plugin_packages_are_the_documented_ones():
    assert {p.name for p in PLUGIN.iterdir() if p.is_dir()} == set(MAY_IMPORT)


def test_plugin_packages_import_only_what_the_architecture_allows():
    broken = []
    for package, allowed in MAY_IMPORT.items():
        for source, imports in _imports(package).items():
            for name in imports:
                m = re.match(r"dev\.lavametrics\.plugin\.(\w+)\.", name)
                if m and m.group(1) != package and m.group(1) not in allowed:
                    broken.append(f"{package}/{source} imports {name}")
                if package in JDK_ONLY and not m and not name.startswith(("java.", "javax.")):
                    broken.append(f"{package}/{source} imports {name}: {package} is JDK-only")
    assert not broken, "\n".join(broken)


def test_only_the_plugin_root_names_a_hook():
    pattern = re.compile(rf"dev\.lavametrics\.plugin\.({'|'.join(HOOKS)})\b")
    broken = [
        f"{f.relative_to(PLUGIN)}: {m.group(0)}"
        for f in sorted(PLUGIN.rglob("*.java"))
        if f.parent != PLUGIN
        for m in pattern.finditer(f.read_text(encoding="utf-8"))
        if f.parent.name != m.group(1)
    ]
    assert not broken, "\n".join(broken)
