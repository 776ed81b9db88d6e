import pytest

from tests.unit.fakenode import FakeNode


@pytest.fixture
def fake_node():
    nodes = []

    def make(**kwargs) -> FakeNode:
        node = FakeNode(**kwargs)
        nodes.append(node)
        return node

    yield make
    for node in nodes:
        node.stop()


@pytest.fixture(scope="session")
def plugin_jar():
    """The built plugin jar, with a JVM to run it: what `lavametrics config` validates with."""
    from pathlib import Path

    from lavametrics import javatools
    from tests.conftest import require

    try:
        javatools.java_binary()
        return javatools.find_plugin_jar(start=Path(__file__).resolve().parents[2])
    except javatools.JvmUnavailable as exc:
        require(False, f"the plugin jar and a JVM (`make build`; {exc})")
