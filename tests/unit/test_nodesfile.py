import pytest

from lavametrics.nodesfile import NodesFileError, load_nodes


def write(tmp_path, text):
    p = tmp_path / "nodes.yml"
    p.write_text(text)
    return p


def test_valid_file(tmp_path):
    p = write(tmp_path, """\
nodes:
  - name: eu-1
    url: http://10.0.0.5:2333/
    password: youshallnotpass
  - name: us-1
    url: https://lava.example:443
    password: 1234
    metrics_url: http://lava.example:9477/metrics
    metrics_auth: {bearer_token: tok}
    own_endpoint: true
    timeout: 2
""")
    a, b = load_nodes(p)
    assert a.url == "http://10.0.0.5:2333" and a.metrics_url == "http://10.0.0.5:2333/metrics"
    assert b.password == "1234" and b.metrics_auth.bearer_token == "tok" and b.own_endpoint and b.timeout == 2


def test_top_level_list(tmp_path):
    p = write(tmp_path, "- {name: a, url: 'http://h:1', password: p}\n")
    assert load_nodes(p)[0].name == "a"


@pytest.mark.parametrize("text, fragments", [
    ("nodes:\n  - name: a\n    url: ftp://x\n    password: p\n", [":3:", "nodes[0].url", "'ftp://x'"]),
    ("nodes:\n  - name: a\n    url: http://h:1\n    password: p\n    colour: red\n", [":5:", "nodes[0].colour", "unknown key"]),
    ("nodes:\n  - name: a\n    url: http://h:1\n    password: p\n  - name: a\n    url: http://h:2\n    password: p\n",
     [":5:", "nodes[1].name", "'a'", "duplicate"]),
    ("nodes:\n  - name: a\n    url: http://h:1\n", [":2:", "nodes[0].password", "missing"]),
    ("nodes:\n  - name: a\n    url: http://h:1\n    password: p\n    metrics_auth: {username: u, password: p, bearer_token: t}\n",
     [":5:", "nodes[0].metrics_auth", "exclusive"]),
    ("nodes:\n  - name: a\n    url: http://h:1\n    password: p\n    own_endpoint: maybe\n", [":5:", "own_endpoint", "'maybe'"]),
])
def test_errors_name_file_line_key_value(tmp_path, text, fragments):
    p = write(tmp_path, text)
    with pytest.raises(NodesFileError) as info:
        load_nodes(p)
    msg = str(info.value)
    assert msg.startswith(str(p))
    for frag in fragments:
        assert frag in msg, msg


def test_malformed_yaml(tmp_path):
    p = write(tmp_path, "nodes:\n  - name: [a\n")
    with pytest.raises(NodesFileError, match=r"nodes.yml:\d+:\d+: malformed YAML"):
        load_nodes(p)


def test_missing_file(tmp_path):
    with pytest.raises(NodesFileError, match="cannot read"):
        load_nodes(tmp_path / "none.yml")
