"""fsutil's modes for files it creates: what an editor would give them, never mkstemp's 0600."""

from __future__ import annotations

import os
import stat

import pytest

from lavametrics import fsutil


@pytest.fixture
def umask():
    """Runs the test under a chosen umask and restores the process's own afterwards."""
    old = os.umask(0o022)
    try:
        yield lambda mask: os.umask(mask)
    finally:
        os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_gets_0666_less_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    fsutil.atomic_write(tmp_path / "targets.json", "[]\n", backup=False)
    fsutil.atomic_write_all({tmp_path / "rules.yml": "groups: []\n"})
    for name in ("targets.json", "rules.yml"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode, name


def test_a_replaced_file_keeps_its_own_mode_whatever_the_umask(tmp_path, umask):
    path = tmp_path / "application.yml"
    path.write_text("a: 1\n")
    os.chmod(path, 0o640)
    umask(0o000)
    backup = fsutil.atomic_write(path, "a: 2\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert backup is not None and stat.S_IMODE(os.stat(backup).st_mode) == 0o640
