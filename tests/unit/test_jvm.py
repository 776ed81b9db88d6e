import os
import time

import pytest

from lavametrics.config import jvm


def test_explicit_jar_must_exist(tmp_path):
    with pytest.raises(jvm.JvmUnavailable, match="plugin jar not found"):
        jvm.find_jar(tmp_path / "missing.jar")


def test_env_jar(monkeypatch, tmp_path):
    jar = tmp_path / "x.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv("LAVAMETRICS_JAR", str(jar))
    assert jvm.find_jar() == jar
    monkeypatch.setenv("LAVAMETRICS_JAR", str(tmp_path / "gone.jar"))
    with pytest.raises(jvm.JvmUnavailable, match="LAVAMETRICS_JAR"):
        jvm.find_jar()


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
    assert jvm.find_jar(start=deep) == new


def test_no_jar_anywhere(monkeypatch, tmp_path):
    monkeypatch.delenv("LAVAMETRICS_JAR", raising=False)
    with pytest.raises(jvm.JvmUnavailable) as info:
        jvm.find_jar(start=tmp_path)
    assert "\n" not in str(info.value)


def test_java_home_from_path_when_env_is_bogus(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(jvm.JvmUnavailable, match="no JVM available: set JAVA_HOME"):
        jvm.find_java_home()
    fake = tmp_path / "jdk" / "bin"
    fake.mkdir(parents=True)
    (fake / "java").write_text("#!/bin/sh\n")
    (fake / "java").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    assert jvm.find_java_home() == tmp_path / "jdk"


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
    home, jar = _fake_java(tmp_path, "echo 'Error occurred during initialization of VM' >&2\n"
                                     "echo 'Could not reserve enough space for 262144KB object heap' >&2\nexit 1\n")
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(jvm.JvmUnavailable) as info:
        jvm.run_main("x.Main", jar=jar)
    assert "\n" not in str(info.value)
    assert "(exit 1)" in str(info.value) and "Could not reserve enough space" in str(info.value)


def test_run_main_passes_stdin_args_and_the_jar(monkeypatch, tmp_path):
    home, jar = _fake_java(tmp_path, 'printf "%s|" "$@"; cat\n')
    monkeypatch.setenv("JAVA_HOME", str(home))
    out = jvm.run_main("x.Main", ["--a", "b"], stdin="héllo", jar=jar)
    assert out.endswith(f"-cp|{jar}|x.Main|--a|b|héllo")
    assert "-Xmx256m|" in out  # capped, so the JVM starts where memory is limited


def test_run_main_gives_up_after_the_timeout(monkeypatch, tmp_path):
    home, jar = _fake_java(tmp_path, "exec sleep 60\n")
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(jvm.JvmUnavailable, match="did not finish within 0.5 s"):
        jvm.run_main("x.Main", jar=jar, timeout=0.5)


def test_run_main_java_that_cannot_be_executed(monkeypatch, tmp_path):
    home, jar = _fake_java(tmp_path, "")
    (home / "bin" / "java").chmod(0o644)
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(jvm.JvmUnavailable, match="no JVM available: cannot run"):
        jvm.run_main("x.Main", jar=jar)


def test_run_main_runs_the_plugin_validator():
    from tests.conftest import require
    try:
        jar = jvm.find_jar(start=__file__)
        jvm.find_java_home()
    except jvm.JvmUnavailable as exc:
        require(False, f"the plugin jar and a JVM ({exc})")
    out = jvm.run_main("dev.lavametrics.plugin.config.ConfigValidator", stdin="{}", jar=jar)
    assert out == '{"valid": true, "errors": []}\n'
    with pytest.raises(jvm.JvmUnavailable, match=r"\(exit 2\): usage"):
        jvm.run_main("dev.lavametrics.plugin.config.ConfigValidator", ["--bogus"], jar=jar)
