import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lavametrics import javatools


def test_explicit_jar_must_exist(tmp_path):
    with pytest.raises(javatools.JvmUnavailable, match="plugin jar not found"):
        javatools.find_plugin_jar(tmp_path / "missing.jar")


def test_env_jar(monkeypatch, tmp_path):
    jar = tmp_path / "x.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv("LAVAMETRICS_JAR", str(jar))
    assert javatools.find_plugin_jar() == jar
    monkeypatch.setenv("LAVAMETRICS_JAR", str(tmp_path / "gone.jar"))
    with pytest.raises(javatools.JvmUnavailable, match="LAVAMETRICS_JAR"):
        javatools.find_plugin_jar()


def test_walks_up_and_picks_newest(monkeypatch, tmp_path):
    monkeypatch.delenv("LAVAMETRICS_JAR", raising=False)
    target = tmp_path / "lavalink-plugin" / "target"
    target.mkdir(parents=True)
    old = target / "lavametrics-plugin-0.1.0.jar"
    new = target / "lavametrics-plugin-0.2.0.jar"
    src = target / "lavametrics-plugin-0.3.0-sources.jar"
    for p in (old, new, src):
        p.write_bytes(b"PK")
    now = time.time()
    os.utime(old, (now - 100, now - 100))
    os.utime(new, (now, now))
    os.utime(src, (now + 100, now + 100))
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert javatools.find_plugin_jar(start=deep) == new


REPO = Path(__file__).resolve().parents[2]


def _checkout_with_jars(tmp_path, jars: dict[str, int]) -> Path:
    """A directory laid out like a checkout: Lavalink/run.sh and jars with the given mtimes (ns)."""
    (tmp_path / "Lavalink").mkdir()
    shutil.copy2(REPO / "Lavalink" / "run.sh", tmp_path / "Lavalink" / "run.sh")
    target = tmp_path / "lavalink-plugin" / "target"
    target.mkdir(parents=True)
    for name, mtime_ns in jars.items():
        (target / name).write_bytes(b"PK")
        os.utime(target / name, ns=(mtime_ns, mtime_ns))
    return target


def _run_sh_choice(root: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "LAVAMETRICS_JAR"}
    done = subprocess.run(
        ["bash", str(root / "Lavalink" / "run.sh"), "--resolve-plugin"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "jars, expected",
    [
        # newest wins, whatever the names say; a newer -sources/-javadoc/-tests jar never does
        (
            {
                "lavametrics-plugin-0.2.0.jar": 1_000_000_000_000_000_000,
                "lavametrics-plugin-0.10.0.jar": 1_000_000_000_500_000_000,
                "lavametrics-plugin-0.3.0-sources.jar": 1_000_000_009_000_000_000,
                "lavametrics-plugin-0.3.0-javadoc.jar": 1_000_000_009_000_000_000,
                "lavametrics-plugin-0.3.0-tests.jar": 1_000_000_009_000_000_000,
            },
            "lavametrics-plugin-0.10.0.jar",
        ),
        # equal times: the greater name (not the first ls -t happens to list)
        (
            {
                "lavametrics-plugin-0.1.0.jar": 1_000_000_000_000_000_000,
                "lavametrics-plugin-0.2.0.jar": 1_000_000_000_000_000_000,
            },
            "lavametrics-plugin-0.2.0.jar",
        ),
        # times apart by less than a second still order
        (
            {
                "lavametrics-plugin-b.jar": 1_000_000_000_000_000_001,
                "lavametrics-plugin-a.jar": 1_000_000_000_000_000_002,
            },
            "lavametrics-plugin-a.jar",
        ),
    ],
)
def test_run_sh_and_python_pick_the_same_plugin_jar(monkeypatch, tmp_path, jars, expected):
    monkeypatch.delenv("LAVAMETRICS_JAR", raising=False)
    target = _checkout_with_jars(tmp_path, jars)
    assert javatools.find_plugin_jar(start=tmp_path) == target / expected
    assert _run_sh_choice(tmp_path) == str(target / expected)


def test_run_sh_and_python_both_honour_lavametrics_jar(monkeypatch, tmp_path):
    _checkout_with_jars(tmp_path, {"lavametrics-plugin-0.1.0.jar": 1_000_000_000_000_000_000})
    chosen = tmp_path / "elsewhere.jar"
    chosen.write_bytes(b"PK")
    monkeypatch.setenv("LAVAMETRICS_JAR", str(chosen))
    assert javatools.find_plugin_jar(start=tmp_path) == chosen
    done = subprocess.run(
        ["bash", str(tmp_path / "Lavalink" / "run.sh"), "--resolve-plugin"], capture_output=True, text=True, timeout=30
    )
    assert done.stdout.strip() == str(chosen)


def test_jdk_tool_comes_from_the_java_home(monkeypatch, tmp_path):
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    for tool in ("java", "keytool"):
        (home / "bin" / tool).write_text("#!/bin/sh\n")
        (home / "bin" / tool).chmod(0o755)
    link_dir = tmp_path / "usr-bin"
    link_dir.mkdir()
    (link_dir / "java").symlink_to(home / "bin" / "java")  # like /usr/bin/java -> alternatives -> jdk
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(link_dir))
    assert javatools.java_binary() == home / "bin" / "java"
    assert javatools.jdk_tool("keytool") == home / "bin" / "keytool"
    with pytest.raises(javatools.JvmUnavailable, match="no jar in .*comes with a JDK"):
        javatools.jdk_tool("jar")


def test_no_jar_anywhere(monkeypatch, tmp_path):
    monkeypatch.delenv("LAVAMETRICS_JAR", raising=False)
    with pytest.raises(javatools.JvmUnavailable) as info:
        javatools.find_plugin_jar(start=tmp_path, plugins_dir=tmp_path / "plugins")
    assert "\n" not in str(info.value)
    # it names every place it looked
    assert str(info.value).startswith("plugin jar not found (looked for --jar, $LAVAMETRICS_JAR, ")
    assert f"lavalink-plugin/target/lavametrics-plugin-*.jar in {tmp_path.resolve()} or above" in str(info.value)
    assert f"{tmp_path / 'plugins' / 'lavametrics-plugin-*.jar'}" in str(info.value)


def test_a_nodes_plugins_directory_comes_after_a_checkouts_build(monkeypatch, tmp_path):
    """A pip user has no checkout: the jar Lavalink loads (plugins/ beside application.yml) is found;
    in a checkout the fresh build wins over a node's copy of an older one."""
    monkeypatch.delenv("LAVAMETRICS_JAR", raising=False)
    plugins = tmp_path / "node" / "plugins"
    plugins.mkdir(parents=True)
    copy = plugins / "lavametrics-plugin-0.1.0.jar"  # the name Lavalink gives a downloaded plugin
    copy.write_bytes(b"PK")
    (plugins / "other-plugin-1.0.jar").write_bytes(b"PK")
    assert javatools.find_plugin_jar(start=tmp_path / "node", plugins_dir=plugins) == copy
    target = tmp_path / "lavalink-plugin" / "target"
    target.mkdir(parents=True)
    built = target / "lavametrics-plugin-0.2.0.jar"
    built.write_bytes(b"PK")
    assert javatools.find_plugin_jar(start=tmp_path / "node", plugins_dir=plugins) == built


def test_java_home_from_path_when_env_is_bogus(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        javatools.JvmUnavailable, match=r"^no Java found \(looked for \$JAVA_HOME/bin/java and java on PATH\)"
    ):
        javatools.java_home()
    fake = tmp_path / "jdk" / "bin"
    fake.mkdir(parents=True)
    (fake / "java").write_text("#!/bin/sh\n")
    (fake / "java").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    assert javatools.java_home() == tmp_path / "jdk"


def _fake_java(tmp_path, script: str):
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\n" + script)
    java.chmod(0o755)
    jar = tmp_path / "plugin.jar"
    jar.write_bytes(b"PK")
    return home, jar


def test_run_main_reports_a_jvm_that_cannot_start_in_one_line(monkeypatch, tmp_path):
    home, jar = _fake_java(
        tmp_path,
        "echo 'Error occurred during initialization of VM' >&2\n"
        "echo 'Could not reserve enough space for 262144KB object heap' >&2\nexit 1\n",
    )
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(javatools.JvmUnavailable) as info:
        javatools.run_main("x.Main", jar=jar)
    assert "\n" not in str(info.value)
    assert "(exit 1)" in str(info.value) and "Could not reserve enough space" in str(info.value)


def test_run_main_passes_stdin_args_and_the_jar(monkeypatch, tmp_path):
    home, jar = _fake_java(tmp_path, 'printf "%s|" "$@"; cat\n')
    monkeypatch.setenv("JAVA_HOME", str(home))
    out = javatools.run_main("x.Main", ["--a", "b"], stdin="héllo", jar=jar)
    assert out.endswith(f"-cp|{jar}|x.Main|--a|b|héllo")
    assert "-Xmx256m|" in out  # capped, so the JVM starts where memory is limited


def test_run_main_gives_up_after_the_timeout(monkeypatch, tmp_path):
    home, jar = _fake_java(tmp_path, "exec sleep 60\n")
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(javatools.JvmUnavailable, match="did not finish within 0.5 s"):
        javatools.run_main("x.Main", jar=jar, timeout=0.5)


def test_run_main_java_that_cannot_be_executed(monkeypatch, tmp_path):
    home, jar = _fake_java(tmp_path, "")
    (home / "bin" / "java").chmod(0o644)
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(javatools.JvmUnavailable, match="^cannot run .*/bin/java"):
        javatools.run_main("x.Main", jar=jar)


def test_run_main_runs_the_plugin_validator():
    from tests.conftest import require

    try:
        jar = javatools.find_plugin_jar(start=__file__)
        javatools.java_home()
    except javatools.JvmUnavailable as exc:
        require(False, f"the plugin jar and a JVM ({exc})")
    out = javatools.run_main("dev.lavametrics.plugin.config.ConfigValidator", stdin="{}", jar=jar)
    assert out == '{"valid": true, "errors": []}\n'
    with pytest.raises(javatools.JvmUnavailable, match=r"\(exit 2\): usage"):
        javatools.run_main("dev.lavametrics.plugin.config.ConfigValidator", ["--bogus"], jar=jar)
