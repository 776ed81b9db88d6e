import pytest

from lavametrics.lavalink.rest import LavalinkClient, LavalinkError, plugin_version


def test_info_stats_version(fake_node):
    node = fake_node()
    api = LavalinkClient(node.url, node.password)
    assert api.version() == "4.0.8"
    assert plugin_version(api.info()) == "0.1.0"
    assert api.stats()["players"] == 2


@pytest.mark.parametrize("password", ["wrong", ""])
def test_bad_password(fake_node, password):
    node = fake_node()
    with pytest.raises(LavalinkError) as info:
        LavalinkClient(node.url, password).info()
    assert info.value.reason == "bad password"


def test_server_error_and_garbage(fake_node):
    node = fake_node()
    node.api_status = 500
    with pytest.raises(LavalinkError) as info:
        LavalinkClient(node.url, node.password).stats()
    assert info.value.reason == "http 500"
    node.api_status = 200
    node.garbage = True
    with pytest.raises(LavalinkError) as info:
        LavalinkClient(node.url, node.password).stats()
    assert info.value.reason == "garbage"


def test_plugin_version_absent():
    assert plugin_version({"plugins": [{"name": "x", "version": "1"}]}) is None
    assert plugin_version({}) is None
