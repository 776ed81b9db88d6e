import json

import pytest

from lavametrics.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_healthy_table(fake_node, capsys):
    node = fake_node()
    code, out, err = run(capsys, "check", node.url, "--password", node.password)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].split() == ["NODE", "CHECK", "STATUS", "DETAIL"]
    # aligned: the STATUS column starts at the same offset on every row
    col = lines[0].index("STATUS")
    assert all(row[col : col + 4] in ("OK  ", "FAIL") for row in lines[1:-1])
    assert lines[-1] == "node: HEALTHY"


def test_check_json_shape(fake_node, capsys):
    node = fake_node()
    code, out, _ = run(capsys, "check", node.url, "--password", node.password, "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] == 0 and data["healthy"] is True
    (n,) = data["nodes"]
    assert set(n) == {"node", "url", "status", "healthy", "pluginVersion", "reason", "checks"}
    assert n["pluginVersion"] == "0.1.0"
    assert all(set(c) == {"name", "ok", "detail", "warning"} for c in n["checks"])


def test_check_without_plugin_exits_1(fake_node, capsys):
    node = fake_node(plugin=False)
    code, out, err = run(capsys, "check", node.url, "--password", node.password)
    assert code == 1
    assert out.splitlines()[-1].startswith("node: UNHEALTHY (plugin: lavametrics not in /v4/info plugins")
    assert err == ""


def test_check_unreachable_exits_2(capsys):
    code, out, err = run(capsys, "check", "http://127.0.0.1:1", "--password", "x", "--timeout", "1", "--json")
    assert code == 2
    assert json.loads(out)["status"] == 2
    assert err.startswith("lavametrics: error: node (http://127.0.0.1:1): reachable: unreachable")
    assert err.count("\n") == 1


def test_check_bad_password_exits_2(fake_node, capsys):
    node = fake_node()
    code, _, err = run(capsys, "check", node.url, "--password", "wrong")
    assert code == 2 and "bad password" in err


def test_check_nodes_file_worst_status(fake_node, capsys, tmp_path):
    good, bare = fake_node(), fake_node(plugin=False)
    f = tmp_path / "nodes.yml"
    f.write_text(
        f"nodes:\n  - {{name: good, url: '{good.url}', password: {good.password}}}\n"
        f"  - {{name: bare, url: '{bare.url}', password: {bare.password}}}\n"
    )
    code, out, _ = run(capsys, "check", "--nodes", str(f), "--json")
    data = json.loads(out)
    assert code == 1 and [n["status"] for n in data["nodes"]] == [0, 1]


@pytest.mark.parametrize("argv", [["check"], ["check", "http://h:1"], ["check", "ftp://x", "--password", "p"]])
def test_check_usage_errors(capsys, argv, monkeypatch):
    monkeypatch.delenv("LAVALINK_PASSWORD", raising=False)
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith("lavametrics: error: ")


def test_argparse_usage_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["nosuchcommand"])
    assert info.value.code == 2


def test_config_commands(tmp_path, capsys, plugin_jar):
    f = tmp_path / "application.yml"
    f.write_text("server:\n  port: 2333 # keep me\n")
    jar = ["--jar", str(plugin_jar)]
    assert run(capsys, "config", "enable", "--file", str(f), *jar)[0] == 0
    assert "port: 2333 # keep me" in f.read_text()
    assert run(capsys, "config", "set", "endpoint.port", "9500", "--file", str(f), *jar)[0] == 0
    code, out, _ = run(capsys, "config", "validate", "--file", str(f), "--json", *jar)
    assert code == 0 and json.loads(out)["valid"] is True
    code, out, _ = run(capsys, "config", "show", "--file", str(f), "--json")
    entries = {e["key"]: e["value"] for e in json.loads(out)["entries"]}
    assert entries["endpoint.port"] == "9500"
    code, out, _ = run(capsys, "config", "show", "--file", str(f))
    assert "plugins.lavametrics.endpoint.port" in out
    code, _, err = run(capsys, "config", "set", "endpoint.port", "99999", "--file", str(f), *jar)
    assert code == 2 and err.startswith("lavametrics: error: refusing to write an invalid config")
    f.write_text("plugins:\n  lavametrics:\n    groups: {rest: 5}\n")
    code, out, _ = run(capsys, "config", "validate", "--file", str(f), *jar)
    assert code == 1 and f"{f}:3: plugins.lavametrics.groups.rest: value '5'" in out
    assert out.splitlines()[-1] == f"{f}: INVALID (1 error(s); plugin validator {plugin_jar})"


def test_config_missing_file(tmp_path, capsys):
    code, _, err = run(capsys, "config", "show", "--file", str(tmp_path / "nope.yml"))
    assert code == 2 and "cannot read" in err and err.count("\n") == 1


def test_targets_stdout(tmp_path, capsys):
    f = tmp_path / "nodes.yml"
    f.write_text("- {name: a, url: 'http://h:2333', password: p}\n")
    code, out, _ = run(capsys, "targets", "--nodes", str(f))
    assert code == 0 and json.loads(out)[0]["targets"] == ["h:2333"]


def test_catalog_packaged_and_no_jar(capsys, monkeypatch, tmp_path):
    code, out, _ = run(capsys, "catalog", "--packaged")
    assert code == 0 and out.splitlines()[0].split() == ["FAMILY", "TYPE", "GROUP", "LABELS"]
    code, out, _ = run(capsys, "catalog", "--packaged", "--json")
    assert json.loads(out)["schema"] == 1
    code, _, err = run(capsys, "catalog", "--jar", str(tmp_path / "missing.jar"))
    assert code == 2 and err.startswith("lavametrics: error: plugin jar not found")


def test_catalog_without_jvm(tmp_path):
    # in a child process: this one may already have started a JVM for other tests
    import subprocess
    import sys

    jar = tmp_path / "p.jar"
    jar.write_bytes(b"PK")
    env = {"JAVA_HOME": str(tmp_path), "PATH": str(tmp_path), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "lavametrics.cli", "catalog", "--jar", str(jar)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "lavametrics: error: no Java found (looked for $JAVA_HOME/bin/java and java on PATH): "
        "install Java 17+ or set JAVA_HOME\n"
    )


@pytest.mark.parametrize(
    "argv, named",
    [
        (["check", "http://admin:url-secret@127.0.0.1:1", "--password", "x"], "URL"),
        (
            [
                "check",
                "http://127.0.0.1:1",
                "--password",
                "x",
                "--metrics-url",
                "http://p:url-secret@127.0.0.1:2/metrics",
            ],
            "--metrics-url",
        ),
    ],
)
def test_check_refuses_credentials_in_a_url_without_echoing_them(capsys, argv, named):
    code, out, err = run(capsys, *argv)
    assert code == 2 and err.startswith(f"lavametrics: error: {named} ") and "user:password@" in err
    assert "url-secret" not in out + err and err.count("\n") == 1


def test_check_report_masks_query_values_of_the_metrics_url(fake_node, capsys):
    node = fake_node()
    node.metrics_status = 500
    code, out, _ = run(
        capsys,
        "check",
        node.url,
        "--password",
        node.password,
        "--metrics-url",
        node.metrics_url + "?token=query-secret",
        "--json",
    )
    assert code == 1 and "token=****" in out and "query-secret" not in out
