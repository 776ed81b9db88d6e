"""Crash-safe file replacement shared by the commands that write files."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def atomic_write(path: Path, text: str, backup: bool = True) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves either the old or the new file."""
    # os.replace on a symlink would swap the link for a regular file and leave its target
    # stale; write where the link points (the .bak and temp file then live next to it too)
    path = Path(os.path.realpath(path))
    mode = None
    if path.exists():
        mode = path.stat().st_mode & 0o7777
        if backup:
            shutil.copy2(path, path.with_name(path.name + ".bak"))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(str(path.parent), os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
