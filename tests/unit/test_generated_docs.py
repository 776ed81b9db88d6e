"""docs/metrics.md is generated from the plugin's catalog; this fails when they drift apart."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lavametrics.devtools import node
from tests.conftest import require, require_tool

ROOT = Path(__file__).resolve().parents[2]


def test_metrics_doc_matches_the_catalog_in_the_jar():
    java = require_tool("java")
    try:
        jar = node.find_plugin_jar(ROOT)
    except node.NodeError as err:
        require(False, f"the plugin jar ({err})")
    rendered = subprocess.run([java, "-cp", str(jar), "dev.lavametrics.plugin.catalog.Catalog", "--markdown"],
                              capture_output=True, text=True, check=True).stdout
    assert (ROOT / "docs" / "metrics.md").read_text() == rendered, "docs/metrics.md is stale: run `make docs`"
