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
