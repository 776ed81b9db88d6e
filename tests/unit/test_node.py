"""``lavametrics.devtools.node``: the base application.yml a test node starts from is read within
``yamlread``'s bounds, like every YAML file the package reads."""

import os

import pytest

from lavametrics import yamlread
from lavametrics.devtools.node import NodeError, _load_yaml


def test_the_base_config_is_read_as_a_mapping(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text("server:\n  port: 2333 # kept\nlavalink:\n  server:\n    password: pw\n")
    assert _load_yaml(p)["lavalink"]["server"]["password"] == "pw"
    p.write_text("")
    assert _load_yaml(p) == {}


def test_an_oversized_base_config_is_refused_in_one_line(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text("# " + "x" * yamlread.MAX_FILE_BYTES + "\n")
    with pytest.raises(NodeError) as info:
        _load_yaml(p)
    assert str(info.value).startswith(f"{p}: ") and "limit" in str(info.value) and "\n" not in str(info.value)


def test_a_fifo_as_base_config_is_refused_without_blocking(tmp_path):
    p = tmp_path / "application.yml"
    os.mkfifo(p)
    with pytest.raises(NodeError) as info:
        _load_yaml(p)  # before yamlread this open blocked until a writer came
    assert "a FIFO, not a regular file" in str(info.value) and "\n" not in str(info.value)


def test_a_base_config_that_is_not_a_mapping_is_refused(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text("- a\n- b\n")
    with pytest.raises(NodeError, match="top level must be a mapping"):
        _load_yaml(p)
