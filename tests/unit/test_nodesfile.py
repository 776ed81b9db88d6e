import pytest

from lavametrics.monitor.nodesfile import NodesFileError, load_nodes
from tests.unit.bounded import run_cli


def write(tmp_path, text):
    p = tmp_path / "nodes.yml"
    p.write_text(text)
    return p


def test_valid_file(tmp_path):
    p = write(
        tmp_path,
        """\
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
""",
    )
    a, b = load_nodes(p)
    assert a.url == "http://10.0.0.5:2333" and a.metrics_url == "http://10.0.0.5:2333/metrics"
    assert b.password == "1234" and b.metrics_auth.bearer_token == "tok" and b.own_endpoint and b.timeout == 2


def test_top_level_list(tmp_path):
    p = write(tmp_path, "- {name: a, url: 'http://h:1', password: p}\n")
    assert load_nodes(p)[0].name == "a"


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("nodes:\n  - name: a\n    url: ftp://x\n    password: p\n", [":3:", "nodes[0].url", "'ftp://x'"]),
        (
            "nodes:\n  - name: a\n    url: http://h:1\n    password: p\n    colour: red\n",
            [":5:", "nodes[0].colour", "unknown key"],
        ),
        (
            "nodes:\n  - name: a\n    url: http://h:1\n    password: p\n"
            "  - name: a\n    url: http://h:2\n    password: p\n",
            [":5:", "nodes[1].name", "'a'", "duplicate"],
        ),
        ("nodes:\n  - name: a\n    url: http://h:1\n", [":2:", "nodes[0].password", "missing"]),
        (
            "nodes:\n  - name: a\n    url: http://h:1\n    password: p\n"
            "    metrics_auth: {username: u, password: p, bearer_token: t}\n",
            [":5:", "nodes[0].metrics_auth", "exclusive"],
        ),
        (
            "nodes:\n  - name: a\n    url: http://h:1\n    password: p\n    own_endpoint: maybe\n",
            [":5:", "own_endpoint", "'maybe'"],
        ),
    ],
)
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


# --- secrets are never echoed -------------------------------------------------------------

NODE = "nodes:\n  - name: a\n    url: http://h:1\n    password: lava-secret-0\n"


@pytest.mark.parametrize(
    "extra, fragments",
    [
        (
            "    metrics_auth: {username: u, password: auth-secret-1, bearer_token: auth-secret-2}\n",
            ["nodes[0].metrics_auth", "exclusive"],
        ),
        ("    metrics_auth: {password: auth-secret-1}\n", ["nodes[0].metrics_auth", "username"]),
        ("    metrics_auth: auth-secret-1\n", ["nodes[0].metrics_auth", "mapping"]),
        ("    metrics_auth: {username: u, pasword: auth-secret-1}\n", ["nodes[0].metrics_auth.pasword", "unknown key"]),
    ],
    ids=["exclusive", "no-username", "not-a-mapping", "misspelled"],
)
def test_metrics_auth_errors_do_not_echo_secrets(tmp_path, extra, fragments):
    p = write(tmp_path, NODE + extra)
    with pytest.raises(NodesFileError) as info:
        load_nodes(p)
    msg = str(info.value)
    for frag in fragments:
        assert frag in msg, msg
    assert "secret" not in msg and "\n" not in msg, msg


@pytest.mark.parametrize("password", ["[lava-secret-1, x]", "{a: lava-secret-1}", "true"])
def test_a_bad_password_value_is_masked(tmp_path, password):
    p = write(tmp_path, f"nodes:\n  - name: a\n    url: http://h:1\n    password: {password}\n")
    with pytest.raises(NodesFileError) as info:
        load_nodes(p)
    assert "nodes[0].password" in str(info.value) and "lava-secret" not in str(info.value)
    assert "'****'" in str(info.value) or "true" not in str(info.value)


def test_a_node_entry_that_is_not_a_mapping_is_not_echoed(tmp_path):
    p = write(tmp_path, "nodes:\n  - http://user:lava-secret-1@h:1\n")
    with pytest.raises(NodesFileError) as info:
        load_nodes(p)
    assert "nodes[0]" in str(info.value) and "lava-secret" not in str(info.value)


@pytest.mark.parametrize("key", ["url", "metrics_url"])
def test_a_url_with_userinfo_is_refused_without_the_password(tmp_path, key):
    text = NODE + ("    metrics_url: http://prom:url-secret-1@h:9477/metrics\n" if key == "metrics_url" else "")
    if key == "url":
        text = text.replace("http://h:1", "http://admin:url-secret-1@h:1")
    p = write(tmp_path, text)
    with pytest.raises(NodesFileError) as info:
        load_nodes(p)
    msg = str(info.value)
    assert f"nodes[0].{key}" in msg and "user:password@" in msg and "url-secret" not in msg, msg


def test_a_duplicate_key_error_does_not_show_either_value(tmp_path):
    p = write(tmp_path, NODE + "    password: lava-secret-2\n")
    with pytest.raises(NodesFileError) as info:
        load_nodes(p)
    msg = str(info.value)
    assert "duplicate key" in msg and "password" in msg and ":5:" in msg
    assert "lava-secret" not in msg and "\n" not in msg, msg


@pytest.mark.parametrize("timeout", ["0", "-1", ".inf", ".nan", "1e308", "3601", "true", "'5'"])
def test_impossible_timeouts_are_refused(tmp_path, timeout):
    p = write(tmp_path, NODE + f"    timeout: {timeout}\n")
    with pytest.raises(NodesFileError, match=r"nodes\[0\]\.timeout.*3600"):
        load_nodes(p)


# --- hostile files ---------------------------------------------------------------------------


def billion_laughs(levels: int = 9, fan: int = 10) -> str:
    """One YAML flow value of a few hundred bytes that expands to fan**levels strings."""
    value = '&l0 "lol"'
    for i in range(1, levels + 1):
        value = f"&l{i} [{value}, " + ", ".join([f"*l{i - 1}"] * (fan - 1)) + "]"
    return value


def test_an_alias_bomb_is_refused_with_a_clear_error(tmp_path):
    # a million strings: over the bound, yet harmless in this process should the bound regress
    p = write(
        tmp_path,
        "nodes:\n  - name: a\n    url: http://h:1\n    password: p\n"
        f"    metrics_auth: {{username: u, password: {billion_laughs(levels=6)}}}\n",
    )
    with pytest.raises(NodesFileError) as info:
        load_nodes(p)
    msg = str(info.value)
    assert msg.startswith(f"{p}:5:") and "aliases expand to more than" in msg and "\n" not in msg, msg


def test_an_alias_bomb_fails_the_command_with_bounded_memory(tmp_path):
    p = write(
        tmp_path,
        "nodes:\n  - name: a\n    url: http://h:1\n    password: p\n"
        f"    metrics_auth: {{username: u, password: {billion_laughs()}}}\n",
    )
    proc = run_cli("targets", "--nodes", str(p))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.startswith(f"lavametrics: error: {p}:5:") and proc.stderr.count("\n") == 1, proc.stderr


def test_a_recursive_alias_is_refused(tmp_path):
    p = write(tmp_path, "nodes: &n\n  - name: a\n    url: http://h:1\n    password: p\n    metrics_auth: *n\n")
    with pytest.raises(NodesFileError, match="alias"):
        load_nodes(p)


def test_a_deeply_nested_file_is_refused_not_a_recursion_error(tmp_path):
    p = write(tmp_path, "nodes: " + "[" * 1000 + "]" * 1000 + "\n")
    with pytest.raises(NodesFileError, match="nest"):
        load_nodes(p)


def test_a_huge_file_is_refused_before_parsing(tmp_path):
    p = tmp_path / "nodes.yml"
    p.write_text(NODE + "#" + "x" * (1024 * 1024) + "\n")
    with pytest.raises(NodesFileError, match="1 MiB"):
        load_nodes(p)


def test_a_few_aliases_are_fine(tmp_path):
    p = write(
        tmp_path,
        "auth: &auth {bearer_token: t}\nnodes:\n"
        "  - {name: a, url: 'http://h:1', password: p, metrics_auth: *auth}\n"
        "  - {name: b, url: 'http://h:2', password: p, metrics_auth: *auth}\n".replace("auth: &auth", "x-auth: &auth"),
    )
    with pytest.raises(NodesFileError, match="unknown top-level key"):  # the anchor's holder is not a nodes key
        load_nodes(p)
    p = write(
        tmp_path,
        "- {name: a, url: 'http://h:1', password: &pw p, metrics_auth: {bearer_token: *pw}}\n"
        "- {name: b, url: 'http://h:2', password: *pw}\n",
    )
    a, b = load_nodes(p)
    assert a.metrics_auth.bearer_token == "p" and b.password == "p"
