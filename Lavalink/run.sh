#!/usr/bin/env bash
# Start a Lavalink v4 node from this directory with the lavametrics plugin in ./plugins.
#
#   Lavalink/run.sh              fetch (once), copy the plugin, run in the foreground
#   Lavalink/run.sh --resolve    print "<kind> <version> <jar>" of the server that would run, and exit
#   Lavalink/run.sh --resolve-plugin   print the plugin jar that would be loaded (building none), and exit
#
# Which server runs, first match wins:
#   1. $LAVALINK_JAR             a Lavalink-Server jar you downloaded yourself (e.g. a GitHub release)
#   2. dev.arbjerg.lavalink:Lavalink-Server:$LAVALINK_VERSION from Maven Central, cached under
#      .cache/lavalink/ at the repository root (fetched without transitive dependencies:
#      it is a Spring Boot fat jar)
#   3. the lavametrics stand-in node (testing/standin-node/), when Maven Central does not serve the
#      pinned Lavalink-Server. It speaks the v4 protocol with the real lavaplayer; see README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
LAVALINK_VERSION=${LAVALINK_VERSION:-4.2.2}
cache="$root/.cache/lavalink"
central=${MAVEN_CENTRAL_URL:-https://repo.maven.apache.org/maven2}

say() { printf 'run.sh: %s\n' "$*" >&2; }

fetch_from_central() {
    local jar="$cache/Lavalink-Server-$LAVALINK_VERSION.jar"
    if [[ -s "$jar" ]]; then
        echo "$jar"
        return 0
    fi
    local pom="$central/dev/arbjerg/lavalink/Lavalink-Server/$LAVALINK_VERSION/Lavalink-Server-$LAVALINK_VERSION.pom"
    # A quick HEAD first: Maven's own failure takes a minute and buries the reason.
    if ! curl -fsSI --max-time 20 "$pom" >/dev/null 2>&1; then
        say "Maven Central does not serve dev.arbjerg.lavalink:Lavalink-Server:$LAVALINK_VERSION"
        return 1
    fi
    mkdir -p "$cache"
    mvn -q -B dependency:copy \
        -Dartifact="dev.arbjerg.lavalink:Lavalink-Server:$LAVALINK_VERSION:jar" \
        -Dtransitive=false -DoutputDirectory="$cache" >&2 || return 1
    [[ -s "$jar" ]] && echo "$jar"
}

standin_jar() {
    local jar="$root/testing/standin-node/target/lavametrics-standin-node.jar"
    if [[ ! -s "$jar" ]]; then
        say "building the stand-in node (mvn package)"
        (cd "$root" && mvn -q -B -pl testing/lavalink-api,testing/standin-node -am install -DskipTests >&2)
    fi
    echo "$jar"
}

resolve() {
    if [[ -n "${LAVALINK_JAR:-}" ]]; then
        [[ -s "$LAVALINK_JAR" ]] || { say "LAVALINK_JAR=$LAVALINK_JAR is not a file"; exit 2; }
        echo "lavalink unknown $LAVALINK_JAR"
        return
    fi
    local jar
    if jar=$(fetch_from_central); then
        echo "lavalink $LAVALINK_VERSION $jar"
        return
    fi
    say "falling back to the lavametrics stand-in node (not Lavalink itself; see README.md)"
    echo "standin - $(standin_jar)"
}

# The plugin jar, by the rule pyclient/lavametrics/javatools.py (find_plugin_jar) uses too, so the
# node started here loads the jar the CLI reads its catalog and validator from: $LAVAMETRICS_JAR,
# else the newest lavalink-plugin/target/lavametrics-plugin-*.jar by modification time, equal
# times broken by the greater name, never a -sources/-javadoc/-tests jar. Prints nothing if none.
newest_plugin_jar() {
    if [[ -n "${LAVAMETRICS_JAR:-}" ]]; then
        [[ -f "$LAVAMETRICS_JAR" ]] || { say "LAVAMETRICS_JAR=$LAVAMETRICS_JAR is not a file"; exit 2; }
        echo "$LAVAMETRICS_JAR"
        return
    fi
    [[ -d "$root/lavalink-plugin/target" ]] || return 0
    find "$root/lavalink-plugin/target" -maxdepth 1 -type f -name 'lavametrics-plugin-*.jar' \
            ! -name '*-sources.jar' ! -name '*-javadoc.jar' ! -name '*-tests.jar' -printf '%T@ %p\n' |
        LC_ALL=C sort -k1,1n -k2 | tail -n 1 | cut -d' ' -f2-
}

plugin_jar() {
    local jar
    jar=$(newest_plugin_jar)
    if [[ -z "$jar" ]]; then
        say "building the plugin (mvn package)"
        (cd "$root" && mvn -q -B -pl testing/lavalink-api,lavalink-plugin -am install -DskipTests >&2)
        jar=$(newest_plugin_jar)
    fi
    echo "$jar"
}

case "${1:-}" in
    --resolve) resolve; exit 0 ;;
    --resolve-plugin) newest_plugin_jar; exit 0 ;;
    "") ;;
    *) say "unknown argument: $1 (expected nothing, --resolve or --resolve-plugin)"; exit 2 ;;
esac

read -r kind version server < <(resolve)
mkdir -p "$here/plugins"
rm -f "$here"/plugins/lavametrics-plugin-*.jar
cp "$(plugin_jar)" "$here/plugins/"
say "starting $kind $version ($server) in $here"
cd "$here"
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" ${JAVA_OPTS:--Xmx512m} -jar "$server"
