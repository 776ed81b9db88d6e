"""The pyjnius bridge to the plugin jar.

A process can start exactly one JVM and its class path is frozen at that moment, so the
jar is located and the class path set *before* ``jnius`` is first imported, and the
outcome (success or the reason for failure) is remembered for the life of the process.
"""

from __future__ import annotations

import glob
import os
import shutil
import threading
from pathlib import Path

JAR_ENV = "LAVAMETRICS_JAR"
_JAR_GLOB = "lavalink-plugin/target/lavametrics-plugin-*.jar"


class JvmUnavailable(RuntimeError):
    """No JVM or no plugin jar: the message is one line saying which and what to do."""


_lock = threading.Lock()
_started_jar: Path | None = None
_failure: str | None = None


def _version_key(path: Path) -> tuple:
    # newest by modification time, then by name so equal mtimes pick deterministically
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return (mtime, path.name)


def find_jar(explicit: str | os.PathLike | None = None, start: str | os.PathLike | None = None) -> Path:
    """Locate the plugin jar: explicit path, then $LAVAMETRICS_JAR, then the build output of
    the nearest enclosing repository (so the CLI works from any subdirectory of a checkout)."""
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise JvmUnavailable(f"plugin jar not found: {p}")
        return p
    env = os.environ.get(JAR_ENV)
    if env:
        p = Path(env)
        if not p.is_file():
            raise JvmUnavailable(f"plugin jar not found: {p} (from ${JAR_ENV})")
        return p
    here = Path(start or os.getcwd()).resolve()
    for d in (here, *here.parents):
        # skip the sources/javadoc jars a Maven build may leave next to the real one
        hits = [Path(h) for h in glob.glob(str(d / _JAR_GLOB))
                if not h.endswith(("-sources.jar", "-javadoc.jar", "-tests.jar"))]
        if hits:
            return max(hits, key=_version_key)
    raise JvmUnavailable(
        f"plugin jar not found: pass --jar, set ${JAR_ENV}, or build {_JAR_GLOB} (mvn -pl lavalink-plugin package)"
    )


def find_java_home() -> Path:
    """JAVA_HOME if it holds a JVM, else the home of the ``java`` on PATH."""
    env = os.environ.get("JAVA_HOME")
    if env and (Path(env) / "bin" / "java").exists():
        return Path(env)
    java = shutil.which("java")
    if java:
        real = Path(java).resolve()  # /usr/bin/java -> .../jvm/<jdk>/bin/java
        home = real.parent.parent
        if (home / "bin" / "java").exists():
            return home
    raise JvmUnavailable("no JVM available: set JAVA_HOME or put java (17+) on PATH")


def start(jar: str | os.PathLike | None = None) -> Path:
    """Start the JVM with the plugin jar on the class path (idempotent).

    Returns the jar in use. A second call asking for a *different* jar fails instead of
    silently using the first one, because the class path cannot change after start.
    """
    global _started_jar, _failure
    with _lock:
        if _started_jar is not None:
            if jar is not None and find_jar(jar).resolve() != _started_jar.resolve():
                raise JvmUnavailable(
                    f"JVM already started with {_started_jar}; cannot switch to {jar} in the same process"
                )
            return _started_jar
        if _failure is not None:
            raise JvmUnavailable(_failure)
        # jar/JVM lookup failures are not remembered (the user may build the jar and retry);
        # a failed JVM start is, because pyjnius cannot try again in the same process
        path = find_jar(jar)
        home = find_java_home()
        os.environ.setdefault("JAVA_HOME", str(home))
        try:
            import jnius_config
        except ImportError as exc:
            raise JvmUnavailable(f"pyjnius is not installed ({exc}); pip install pyjnius") from exc
        if not jnius_config.vm_running:
            jnius_config.add_options("-Xss2m", "-Djava.awt.headless=true")
            jnius_config.set_classpath(str(path.resolve()))
        try:
            import jnius  # noqa: F401  (starts the JVM)
        except Exception as exc:  # a broken libjvm is reported as a plain Exception
            _failure = f"no JVM available: could not start the JVM from {home} ({exc})"
            raise JvmUnavailable(_failure) from exc
        _started_jar = path
        return path


def autoclass(name: str, jar: str | os.PathLike | None = None):
    """A Java class from the plugin jar, starting the JVM on first use."""
    start(jar)
    from jnius import autoclass as _autoclass
    try:
        return _autoclass(name)
    except Exception as exc:  # JavaException / ClassNotFound surface as generic exceptions
        raise JvmUnavailable(f"class {name} not found in {_started_jar} ({exc})") from exc


def call_static(cls: str, method: str, *args, jar: str | os.PathLike | None = None):
    """Call a static method and coerce a java.lang.String result to ``str``."""
    klass = autoclass(cls, jar)
    result = getattr(klass, method)(*args)
    return str(result) if result is not None else None


def started_jar() -> Path | None:
    return _started_jar
