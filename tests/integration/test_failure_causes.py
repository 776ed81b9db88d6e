"""Failure causes end to end: the plugin classifies failures the node's real sources report.

The first tests run on any node (the stand-in in CI, real Lavalink with ``LAVALINK_JAR``):
lavaplayer's own local and http sources fail on a file that is not audio, a URL a loopback
server refuses with 403 or 429, and a port nobody listens on, and Lavalink reports those
failures as it does any other. The last needs the stand-in's test source (``lavametrics-fail:``,
testing/standin-node's ``failing`` package), which fails loads and plays with the exception chains
youtube-source and lavaplayer throw for each cause; a real node has no such source.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lavametrics.config.catalog import packaged
from lavametrics.devtools.node import free_port
from lavametrics.lavalink.session import LavalinkSession
from tests.samples import delta, fetch_text, scrape, total, wait_until

pytestmark = pytest.mark.integration

# what the test source's `other` failure carries (testing/standin-node .../failing/Failures.java)
HOSTILE = ("203.0.113.9", "123456789012345678", "example.invalid", "dQw4w9WgXcQ")
REFUSING = {"/forbidden.mp3": 403, "/limited.mp3": 429}


@pytest.fixture(scope="module")
def node(node_factory):
    return node_factory(
        plugin=True,
        overrides={"lavalink": {"server": {"sources": {"local": True, "http": True, "lavametrics-fail": True}}}},
    )


@pytest.fixture()
def session(node):
    with LavalinkSession(node.url, node.password) as s:
        yield s


@pytest.fixture(scope="module")
def refusing_server():
    """A loopback HTTP server answering every audio request with the status its path names."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            self.send_response(REFUSING.get(self.path.split("?", 1)[0], 404))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, fmt, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    port = free_port()
    with socket.socket() as s:  # nobody listens there: the connect is refused
        assert s.connect_ex(("127.0.0.1", port)) != 0
    return port


def test_lavaplayer_load_failures_are_classified(node, session, refusing_server, tmp_path):
    m = node.metrics_url
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("this is not audio\n" * 50)
    expected = {
        str(not_audio): "decode",  # ProbingAudioSourceManager: "Unknown file format."
        f"{refusing_server}/forbidden.mp3": "forbidden",  # HttpAudioSourceManager: "Status code 403"
        f"{refusing_server}/limited.mp3": "rate_limited",  # ... "Status code 429"
        f"http://127.0.0.1:{_closed_port()}/x.mp3": "network",  # "Connecting to the URL failed."
    }
    before = scrape(m)
    answers = {}
    for identifier in expected:
        answer = session.load(identifier)
        assert answer["loadType"] == "error", (identifier, answer)
        answers[identifier] = answer["data"]["message"]
    s = wait_until(
        m,
        lambda s: delta(before, s, "lavametrics_loads_total", result="error") >= len(expected),
        timeout=30,
    )
    for identifier, cause in expected.items():
        assert delta(before, s, "lavametrics_load_failures_total", cause=cause) == 1, (identifier, answers[identifier])
    assert delta(before, s, "lavametrics_load_failures_total", cause="other") == 0, answers


def test_a_truncated_file_fails_its_track_with_a_classified_cause(node, session, tmp_path):
    from lavametrics.devtools.wavgen import write_corrupt_wav

    m = node.metrics_url
    before = scrape(m)
    session.play(5101, str(write_corrupt_wav(tmp_path / "corrupt.wav")))
    exception = session.wait_event("TrackExceptionEvent", timeout=30)["exception"]
    s = wait_until(
        m,
        lambda s: (
            total(s, "lavametrics_track_failures_total", source="local")
            > total(before, "lavametrics_track_failures_total", source="local")
        ),
        timeout=30,
    )
    name = "lavametrics_track_failures_total"
    by_cause = {  # a cause's series is born with its first failure: absent reads as 0
        cause: total(s, name, source="local", cause=cause) - total(before, name, source="local", cause=cause)
        for cause in packaged().causes()
    }
    assert sum(by_cause.values()) == 1, by_cause
    # lavaplayer's decoder wrapper ("Something went wrong when decoding the track.") or the end of
    # the stream it hit: either way the decoder's, not a refusal
    assert by_cause["decode"] == 1, (exception, by_cause)


def test_every_cause_of_the_test_source_reaches_its_label(server_jar, node, session):
    if server_jar.is_real_lavalink:
        pytest.skip("the lavametrics-fail test source is the stand-in's; real sources are covered above")
    m = node.metrics_url
    causes = packaged().causes()
    before = scrape(m)
    for i, cause in enumerate(causes):
        assert session.load(f"lavametrics-fail:load:{cause}")["loadType"] == "error", cause
        session.play(5200 + i, f"lavametrics-fail:play:{cause}")
        session.wait_event("TrackExceptionEvent", timeout=30)
    s = wait_until(
        m,
        lambda s: (
            total(s, "lavametrics_track_failures_total", source="other")
            - total(before, "lavametrics_track_failures_total", source="other")
            >= len(causes)
        ),
        timeout=30,
    )
    for cause in causes:
        assert delta(before, s, "lavametrics_load_failures_total", cause=cause) == 1, cause
        # the test source is not one of the catalog's sources: its tracks count as source="other"
        assert delta(before, s, "lavametrics_track_failures_total", source="other", cause=cause) == 1, cause
    text = fetch_text(m)
    leaked = [h for h in HOSTILE if h in text]
    assert not leaked, f"message text reached the exposition: {leaked}"
