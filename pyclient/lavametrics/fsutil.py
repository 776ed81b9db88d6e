"""Crash-safe, owner-keeping replacement of files, and the lock that serialises editors.

An edit replaces the file by a new one (temporary file in the same directory, fsync,
rename), so a crash or kill -9 leaves the old or the new file, never half of one. The new
file gets the old one's owner, group and mode: ``config set`` run as root must not hand a
0600 file owned by the Lavalink user over to root. The backup is written the same way,
so an existing ``X.bak`` symlink is replaced, never followed.

Only regular files are read or replaced. A config path that is (or links to) a device, a
FIFO, a socket or a directory is refused before anything is opened, locked or written:
``config set --file /dev/null`` run as root used to replace the system's /dev/null with a
YAML file, and reading a FIFO waits for a writer that never comes.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def real_path(path: str | os.PathLike) -> Path:
    """Where an edit of ``path`` lands: a symlink is followed to its target, so that the
    link stays a link, and the backup, lock and temporary file live next to the target."""
    return Path(os.path.realpath(path))


_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def check_regular(path: str | os.PathLike, st: os.stat_result) -> None:
    """OSError (one line, naming ``path``) unless ``st`` is a regular file's."""
    if stat.S_ISREG(st.st_mode):
        return
    kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    raise OSError(errno.EINVAL, f"{kind}, not a regular file: refused, nothing read or written", str(path))


def stat_regular(path: str | os.PathLike) -> os.stat_result:
    """``os.stat(path)`` (symlinks followed), refusing anything but a regular file."""
    st = os.stat(path)
    check_regular(path, st)
    return st


def open_regular(path: str | os.PathLike) -> int:
    """A read-only descriptor of the regular file ``path``. Checked before opening, since
    opening a device can itself act (a tape rewinds), and again on the descriptor, in case
    the name was swapped in between; O_NONBLOCK so that a FIFO swapped in then cannot make
    open() wait for a writer (it means nothing for a regular file)."""
    stat_regular(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        check_regular(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    return fd


def backup_path(path: str | os.PathLike) -> Path:
    real = real_path(path)
    return real.with_name(real.name + ".bak")


@contextmanager
def locked(path: str | os.PathLike) -> Iterator[Path]:
    """Hold the edit lock of ``path`` (``<file>.lock`` beside the real file) for a
    read-modify-write. Locking the file itself would not do: each edit replaces it by a new
    inode, and a second editor would lock that one while the first still holds the old."""
    real = real_path(path)
    lock = real.with_name(real.name + ".lock")
    # O_NOFOLLOW: a planted symlink must not make us create files elsewhere (as root);
    # the lock file holds nothing, so anyone who may edit the config may open it
    try:
        # O_NONBLOCK: a FIFO planted as the lock must not hang the open (flock still waits)
        fd = os.open(lock, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot open the edit lock: {exc.strerror}", str(lock)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield real
    finally:
        os.close(fd)  # releases the lock


def check_writable(path: Path, st: os.stat_result) -> None:
    """Refuse to replace a file its mode marks read-only, whoever we are. Root can write
    anything, so for root the mode bits are the only statement of intent; a file without any
    write bit (0444, 0400, 0440) is left alone."""
    mode = st.st_mode & 0o7777
    if not mode & 0o222:
        raise PermissionError(
            errno.EACCES,
            f"read-only (mode {mode:04o}): not edited; chmod u+w it first if the edit is intended",
            str(path),
        )
    if os.geteuid() != 0 and not os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        raise PermissionError(errno.EACCES, "no write permission: not edited", str(path))


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells (os.umask can only set
    it, and setting it briefly races with other threads creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _stage(path: Path, data: bytes, like: os.stat_result | None) -> str:
    """A temporary file beside ``path`` holding ``data``, owned and moded ``like`` the given
    stat, flushed to disk; the caller renames it over ``path`` or removes it. A new file (no
    ``like``) gets the mode any editor would give it, 0666 less the umask, not mkstemp's 0600:
    a rule file generated as one user must stay readable by the Prometheus that loads it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        if like is None:
            os.fchmod(fd, 0o666 & ~_umask())
        else:
            now = os.fstat(fd)
            if (now.st_uid, now.st_gid) != (like.st_uid, like.st_gid):
                try:
                    os.fchown(fd, like.st_uid, like.st_gid)
                except PermissionError:
                    raise PermissionError(
                        errno.EPERM,
                        f"cannot keep its owner {like.st_uid}:{like.st_gid} "
                        "(only root can give files away): not edited",
                        str(path),
                    ) from None
            os.fchmod(fd, like.st_mode & 0o7777)  # after fchown, which may clear set-id bits
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_dir(directory: Path) -> None:
    """Make the renames in ``directory`` durable."""
    try:
        dfd = os.open(str(directory), os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _replace(path: Path, data: bytes, like: os.stat_result | None) -> None:
    """Atomically make ``path`` hold ``data``, owned and moded ``like`` the given stat."""
    tmp = _stage(path, data, like)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _sync_dir(path.parent)


def atomic_write_all(texts: dict[Path, str]) -> None:
    """Replace every file of ``texts`` (path -> new text) or none: each is checked (a regular
    file or missing, writable) and written to a temporary file beside it first; only when all
    of them are staged are they renamed over their targets. A read-only file or a full disk
    thus leaves every file as it was, not half a tree rewritten. Paths are taken as given
    (symlinks are the caller's to refuse or resolve); owner and mode are kept as by
    ``atomic_write``."""
    olds: dict[Path, os.stat_result | None] = {}
    for path in texts:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        if st is not None:
            check_regular(path, st)
            check_writable(path, st)
        olds[path] = st
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in texts.items():
            staged.append((_stage(path, text.encode("utf-8"), olds[path]), path))
    except BaseException:
        for tmp, _path in staged:
            _unlink_quietly(tmp)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    for directory in {path.parent for path in texts}:
        _sync_dir(directory)


def atomic_write(path: str | os.PathLike, text: str, backup: bool = True) -> Path | None:
    """Replace ``path`` (its target, when a symlink) with ``text`` so that a crash leaves
    either the old or the new file, keeping owner, group and mode. With ``backup`` the old
    content is kept as ``<file>.bak`` first; returns the backup's path (None without one).
    Callers that read, change and write a file hold ``locked(path)`` around all three."""
    real = real_path(path)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    written_backup = None
    if st is not None:
        check_regular(real, st)  # a device or FIFO is never replaced by a file
        check_writable(real, st)
        if backup:
            written_backup = backup_path(real)
            _replace(written_backup, real.read_bytes(), st)
    _replace(real, text.encode("utf-8"), st)
    return written_backup
