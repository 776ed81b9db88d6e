import json

from lavametrics.monitor import targets
from lavametrics.monitor.nodesfile import NodeSpec


def test_file_sd_json(tmp_path):
    nodes = [
        NodeSpec("eu", "http://10.0.0.5:2333", "pw", "http://10.0.0.5:2333/metrics"),
        NodeSpec("us", "https://lava.example", "pw", "https://lava.example:9477/custom?x=1"),
        NodeSpec("v6", "http://[::1]:2333", "pw", "http://[::1]:2333/metrics"),
    ]
    out = tmp_path / "sd" / "lavalink.json"
    out.parent.mkdir()
    targets.write(nodes, out)
    data = json.loads(out.read_text())
    assert data == [
        {"targets": ["10.0.0.5:2333"], "labels": {"node": "eu", "__metrics_path__": "/metrics", "__scheme__": "http"}},
        {
            "targets": ["lava.example:9477"],
            "labels": {"node": "us", "__metrics_path__": "/custom", "__scheme__": "https", "__param_x": "1"},
        },
        {"targets": ["[::1]:2333"], "labels": {"node": "v6", "__metrics_path__": "/metrics", "__scheme__": "http"}},
    ]
    assert [p.name for p in out.parent.iterdir()] == ["lavalink.json"]  # no temp or backup left


def test_default_ports():
    t = targets.target_for(NodeSpec("a", "https://h", "p", "https://h/metrics"))
    assert t["targets"] == ["h:443"]
