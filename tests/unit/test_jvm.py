import os
import time

import pytest

from lavametrics import jvm


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
