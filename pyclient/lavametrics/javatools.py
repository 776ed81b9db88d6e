"""Java for the Python side: where the JDK is, which plugin jar to use, and running the jar's
own entry points (catalog, config validator) in a ``java`` subprocess.

The one place that finds Java: ``java_home()`` is $JAVA_HOME when it holds a JVM, else the
home of the ``java`` on PATH with its symlinks resolved (/usr/bin/java -> <jdk>/bin/java);
no JDK path is assumed. ``java_binary()`` and ``jdk_tool(name)`` (keytool, ...) live there.

The one rule for the plugin jar (``find_plugin_jar``; Lavalink/run.sh follows its
$LAVAMETRICS_JAR and checkout steps): an explicit path, then $LAVAMETRICS_JAR, then the newest
``lavalink-plugin/target/lavametrics-plugin-*.jar`` of the enclosing checkout by modification
time, equal times broken by the greater file name, never a -sources, -javadoc or -tests jar;
then, when the caller names one, the node's plugins directory (``plugins/`` beside
application.yml, where Lavalink loads plugins from and puts the ones it downloads), by the same
rule. A checkout's fresh build comes before a node's copy of an older one; a pip user has no
checkout, and the jar the node runs is the one whose rules matter.

A subprocess rather than an in-process JVM: a JVM that cannot start (no memory under
``ulimit -v``, a broken install) then fails that one call with a readable reason instead of
taking the Python process down with it, and every call may use a different jar.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from lavametrics.errors import LavametricsError

JAR_ENV = "LAVAMETRICS_JAR"
_JAR_GLOB = "lavalink-plugin/target/lavametrics-plugin-*.jar"

# The entry points are small: a capped heap and class space let them start where memory is
# limited (ulimit -v 3G is too little for the JVM's defaults), C1 only and serial GC start fastest.
JAVA_OPTIONS = (
    "-Xmx256m",
    "-XX:CompressedClassSpaceSize=64m",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Xshare:auto",
    "-Djava.awt.headless=true",
)


class JvmUnavailable(LavametricsError, RuntimeError):
    """No JVM, no plugin jar, or the JVM failed: the message is one line saying which."""


NO_JAVA = "no Java found"
_INSTALL_JAVA = "install Java 17+ or set JAVA_HOME"


_NOT_THE_PLUGIN = ("-sources.jar", "-javadoc.jar", "-tests.jar")


def _newest_key(path: Path) -> tuple[int, str]:
    # newest by modification time (in ns, as run.sh's find -printf %T@ sees it), then by
    # name so equal mtimes pick deterministically
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return (mtime, path.name)


def newest_plugin_jar(target: str | os.PathLike) -> Path | None:
    """The plugin jar in the Maven ``target`` directory by the rule above, or None."""
    hits = [
        Path(h) for h in glob.glob(str(Path(target) / "lavametrics-plugin-*.jar")) if not h.endswith(_NOT_THE_PLUGIN)
    ]
    return max(hits, key=_newest_key) if hits else None


def find_plugin_jar(
    explicit: str | os.PathLike | None = None,
    start: str | os.PathLike | None = None,
    plugins_dir: str | os.PathLike | None = None,
) -> Path:
    """Locate the plugin jar: explicit path, then $LAVAMETRICS_JAR, then the build output of
    the nearest enclosing repository (so the CLI works from any subdirectory of a checkout),
    then ``plugins_dir`` (a node's plugins directory) when given."""
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
        jar = newest_plugin_jar(d / "lavalink-plugin" / "target")
        if jar is not None:
            return jar
    looked = f"--jar, ${JAR_ENV}, {_JAR_GLOB} in {here} or above"
    if plugins_dir is not None:
        jar = newest_plugin_jar(plugins_dir)
        if jar is not None:
            return jar
        looked += f", {Path(plugins_dir) / 'lavametrics-plugin-*.jar'}"
    raise JvmUnavailable(f"plugin jar not found (looked for {looked}): pass --jar or set ${JAR_ENV}")


def java_home() -> Path:
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
    raise JvmUnavailable(
        f"{NO_JAVA} (looked for $JAVA_HOME/bin/java and java on PATH): install Java 17+ or set JAVA_HOME"
    )


def java_binary() -> Path:
    return java_home() / "bin" / "java"


def jdk_tool(name: str) -> Path:
    """A JDK command (keytool, jar, ...) of the same Java as ``java_binary()``."""
    tool = java_home() / "bin" / name
    if not (tool.is_file() and os.access(tool, os.X_OK)):
        raise JvmUnavailable(f"no {name} in {tool.parent}: it comes with a JDK (a JRE lacks it); set JAVA_HOME to one")
    return tool


def _reason(stderr: bytes) -> str:
    """The JVM's own words, on one line: 'Error occurred during initialization of VM: Could not…'."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line and not line.startswith("at ")]
    return ": ".join(lines[:2])[:300] or "no message"


def run_main(
    main_class: str,
    args: Sequence[str] = (),
    stdin: str = "",
    jar: str | os.PathLike | None = None,
    timeout: float = 120.0,
) -> str:
    """``java -cp <plugin jar> <main_class> <args>`` with ``stdin`` (UTF-8); returns its stdout.

    Raises JvmUnavailable when java or the jar cannot be found (java first: without it no jar
    helps), java cannot be run, exits non-zero (a JVM that could not start exits 1) or does
    not answer within ``timeout`` seconds.
    """
    java = java_binary()
    path = find_plugin_jar(jar)
    command = [str(java), *JAVA_OPTIONS, "-cp", str(path), main_class, *args]
    try:
        done = subprocess.run(command, input=stdin.encode("utf-8"), capture_output=True, timeout=timeout)
    except OSError as exc:
        raise JvmUnavailable(f"cannot run {java} ({exc.strerror or exc})") from None
    except subprocess.TimeoutExpired:
        raise JvmUnavailable(f"{java} running {main_class} did not finish within {timeout:g} s") from None
    if done.returncode != 0:
        raise JvmUnavailable(f"{java} failed (exit {done.returncode}): {_reason(done.stderr)}")
    return done.stdout.decode("utf-8")
