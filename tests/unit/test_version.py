"""One version number: lavametrics.__version__ for Python, the root pom.xml for the plugin."""

import importlib.metadata
import xml.etree.ElementTree as ET
from pathlib import Path

import lavametrics

ROOT = Path(__file__).resolve().parents[2]
POM = "{http://maven.apache.org/POM/4.0.0}"


def pom_versions() -> dict[str, str]:
    """The version each pom declares for the reactor: its own (root) or its parent's (modules)."""
    root = ET.parse(ROOT / "pom.xml").getroot()
    found = {"pom.xml": root.findtext(f"{POM}version")}
    for module in root.iter(f"{POM}module"):
        path = f"{module.text}/pom.xml"
        found[path] = ET.parse(ROOT / path).getroot().findtext(f"{POM}parent/{POM}version")
    return found


def test_poms_carry_the_python_package_version():
    versions = pom_versions()
    assert len(versions) == 4  # the reactor and its three modules
    assert versions == dict.fromkeys(versions, lavametrics.__version__)


def test_installed_metadata_reads_the_version_from_the_package():
    # pyproject.toml's version is dynamic, read from lavametrics.__version__
    assert importlib.metadata.version("lavametrics") == lavametrics.__version__
