"""Real nodes for integration tests: started once, logs attached to failures, always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lavametrics.devtools.node import Node, NodeError, ServerJar, find_plugin_jar, prepare_node, resolve_server_jar
from lavametrics.devtools.voicesim import VoiceSimulator
from tests.conftest import require, require_tool

_STARTED: list[Node] = []


@pytest.fixture(scope="session")
def server_jar() -> ServerJar:
    require_tool("java")
    try:
        return resolve_server_jar()
    except NodeError as err:
        require(False, f"a Lavalink server jar ({err})")
        raise


@pytest.fixture(scope="session")
def plugin_jar() -> Path:
    try:
        return find_plugin_jar()
    except NodeError as err:
        require(False, f"the plugin jar ({err})")
        raise


@pytest.fixture(scope="session")
def node_factory(tmp_path_factory, server_jar, plugin_jar) -> Iterator[Any]:
    """`node_factory(plugin=True, overrides=None, jvm_args=None, port=None) -> Node`, each call a new process."""

    def start(
        plugin: bool = True, overrides: dict | None = None, jvm_args: list[str] | None = None, port: int | None = None
    ) -> Node:
        workdir = tmp_path_factory.mktemp("node-plugin" if plugin else "node-bare")
        node = prepare_node(
            workdir,
            plugin=plugin,
            overrides=overrides,
            server=server_jar,
            plugin_jar=plugin_jar,
            jvm_args=jvm_args,
            port=port,
        )
        _STARTED.append(node)
        return node.start()

    yield start
    for node in _STARTED:
        node.stop()


@pytest.fixture(scope="session")
def plugin_node(node_factory) -> Node:
    """One shared node with the plugin and every metric group on."""
    return node_factory(plugin=True)


@pytest.fixture(scope="session")
def bare_node(node_factory) -> Node:
    """One shared node without the plugin (what a hosted Lavalink looks like)."""
    return node_factory(plugin=False)


@pytest.fixture(scope="module")
def sim() -> Iterator[VoiceSimulator]:
    """Discord's voice side, one per test module; its certificate is in ``voice_node``'s truststore."""
    with VoiceSimulator() as simulator:
        yield simulator


@pytest.fixture(scope="module")
def voice_node(node_factory, sim) -> Node:
    """A node with the plugin whose voice connections reach ``sim``: one per test module, so a
    module may restart it (the bot adapters' live tests do)."""
    return node_factory(plugin=True, jvm_args=sim.jvm_args())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _STARTED:
        for node in _STARTED:
            report.sections.append((f"node log {node.log_path}", node.log_tail(60)))
        if call.when == "call":
            report.sections.extend(_dump_threads(item.name))


def _dump_threads(test: str) -> list[tuple[str, str]]:
    """Each running node's threads while the failed test still holds its sessions (teardown would
    release a thread stuck on one): the whole dump beside the node's log, and in the report the
    threads in the plugin's or the stand-in's code, where a request that timed out would wait."""
    sections = []
    for node in _STARTED:
        dump = node.thread_dump()
        if not dump:
            continue
        path = node.workdir / f"threads-{test}.txt"
        path.write_text(dump)
        ours = [t for t in dump.split("\n\n") if "dev.lavametrics." in t]
        sections.append((f"threads in dev.lavametrics code (every thread: {path})", "\n\n".join(ours) or "(none)"))
    return sections
