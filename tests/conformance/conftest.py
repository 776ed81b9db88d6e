"""The conformance suite's node, what it is, and how a test says the stand-in cannot match.

One suite for every node: in CI the stand-in (which models Lavalink 4.2.2), locally a real Lavalink
with `LAVALINK_JAR=/path/to/Lavalink.jar`. What a behaviour looks like on which release is decided
here, from the node's own `/version`, so a test states the real behaviour once.
"""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass

import pytest

from lavametrics.devtools.voicesim import VoiceSimulator

# the integration suite's node fixtures, shared rather than copied (pytest registers imported fixtures)
from tests.integration.conftest import node_factory, plugin_jar, pytest_runtest_makereport, server_jar  # noqa: F401

STANDIN_TAG = "lavametrics-standin"


@dataclass(frozen=True)
class Flavor:
    """The node under test: a real release, or the stand-in and the release it models."""

    version: str
    release: tuple[int, int, int]
    standin: bool

    @property
    def requires_channel_id(self) -> bool:
        """Since 4.2.0 a voice state without channelId is a 400 (protocol/.../v4/player.kt)."""
        return self.release >= (4, 2, 0)

    def __str__(self) -> str:
        return f"stand-in of {'.'.join(map(str, self.release))}" if self.standin else f"Lavalink {self.version}"


def flavor_of(version: str) -> Flavor:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        raise AssertionError(f"/version answered {version!r}, not a Lavalink 4 semver")
    return Flavor(version=version, release=tuple(int(g) for g in match.groups()), standin=STANDIN_TAG in version)


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    """Discord's voice side; its certificate is in the node's truststore (jvm_args)."""
    with VoiceSimulator(workdir=tmp_path_factory.mktemp("conformance-voicesim")) as simulator:
        yield simulator


@pytest.fixture(scope="session")
def node(node_factory, sim):  # noqa: F811 (the imported fixture)
    """One node with the plugin for the whole suite; tests use their own guild ids and sessions."""
    return node_factory(
        plugin=True, jvm_args=sim.jvm_args(), overrides={"lavalink": {"server": {"playerUpdateInterval": 1}}}
    )


@pytest.fixture(scope="session")
def flavor(node) -> Flavor:
    req = urllib.request.Request(node.url + "/version", headers={"Authorization": node.password})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return flavor_of(resp.read().decode().strip())


@pytest.fixture()
def standin_differs(request, flavor):
    """`standin_differs(reason)`: on the stand-in this test must fail (strict xfail), for `reason`.

    For behaviour the stand-in does not model; the test still asserts the real behaviour, so a
    stand-in that starts to match turns the xfail into a failure and the mark must go.
    """

    def mark(reason: str) -> None:
        if flavor.standin:
            request.applymarker(pytest.mark.xfail(strict=True, reason=f"stand-in: {reason}"))

    return mark
