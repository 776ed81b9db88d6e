"""Every file generated from the plugin's catalog (`make docs`) matches what the jar renders,
and `make docs` writes each of them: this fails when one drifts or is left out."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from lavametrics.devtools import node
from tests.conftest import require, require_tool

ROOT = Path(__file__).resolve().parents[2]
CATALOG_MAIN = "dev.lavametrics.plugin.catalog.Catalog"

# generated file -> the Catalog arguments that render it
GENERATED = {
    "docs/metrics.md": ["--markdown"],
    "pyclient/lavametrics/data/catalog.json": [],
    "lavalink-plugin/src/main/resources/lavametrics/catalog.json": [],
}


def _render(args: list[str]) -> str:
    java = require_tool("java")
    try:
        jar = node.find_plugin_jar(ROOT)
    except node.NodeError as err:
        require(False, f"the plugin jar ({err})")
    return subprocess.run(
        [java, "-cp", str(jar), CATALOG_MAIN, *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("path", sorted(GENERATED))
def test_generated_file_matches_the_catalog_in_the_jar(path):
    assert (ROOT / path).read_text() == _render(GENERATED[path]), f"{path} is stale: run `make docs`"


def test_make_docs_writes_every_generated_file():
    """`make -n docs` (what it would run, nothing run) names every generated file as an output."""
    require_tool("make")
    done = subprocess.run(
        ["make", "-n", "-s", "--no-print-directory", "-W", "build", "docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # an output: after a redirection, or in the list the recipe's loop redirects to
    missing = [
        path
        for path in GENERATED
        if not re.search(rf"(>\s*|for copy in (?:[^;]*\s)?){re.escape(path)}(\s|;|$)", done.stdout, re.M)
    ]
    assert missing == [], f"make docs does not write: {missing}"
