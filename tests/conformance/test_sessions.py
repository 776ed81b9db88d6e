"""Session open, pause, resume and close: the order of messages and plugin hooks, as the plugin counts them.

Lavalink 4.1.2 and 4.2.2 share this code (LavalinkServer/src/main/java/lavalink/server/io/SocketServer.kt,
SocketContext.kt, HandshakeInterceptorImpl.kt): a new session's first `stats` is scheduled before `ready`
is sent; a closed session reads DESTROYED at once, leaves `sessions`, then loses its players, then
onSocketContextDestroyed fires; a resumable one moves to `resumableSessions` instead, where REST cannot
reach it. So gauges drop before the close counter moves: every wait here is for the counter.
"""

from __future__ import annotations

import re

import pytest

from lavametrics.lavalink.session import LavalinkSession
from tests.conformance.rest import assert_error, call
from tests.samples import scrape, total, value, wait_until

pytestmark = [pytest.mark.conformance, pytest.mark.integration]


def _delta(before):
    return lambda after, name, **labels: value(after, name, **labels) - value(before, name, **labels)


def test_a_new_session_gets_ready_and_maybe_stats_first(node):
    before = scrape(node.metrics_url)
    with LavalinkSession(node.url, node.password) as session:
        ops = [m.get("op") for m in session.history]
        ready_at = ops.index("ready")
        assert set(ops[:ready_at]) <= {"stats"}, ops  # stats may come first, nothing else may
        ready = session.history[ready_at]
        assert ready == {"op": "ready", "resumed": False, "sessionId": ready["sessionId"]}
        assert re.fullmatch(r"[a-z0-9]{16}", ready["sessionId"])
        assert session.handshake_headers.get("session-resumed") == "false"
        d = _delta(before)
        s = wait_until(node.metrics_url, lambda s: d(s, "lavametrics_session_opens_total", resumed="false") == 1)
        assert d(s, "lavametrics_session_opens_total", resumed="false") == 1
        assert d(s, "lavametrics_sessions", state="active") == 1
        # the first stats op comes at once, before or after ready (wait_for already passed it if before)
        early = [m for m in session.history if m.get("op") == "stats"]
        stats = early[0] if early else session.wait_for(lambda m: m.get("op") == "stats")
        assert {"players", "playingPlayers", "uptime", "memory", "cpu"} <= set(stats)


def test_close_counts_once_after_the_session_and_its_players_are_gone(node):
    before = scrape(node.metrics_url)
    d = _delta(before)
    with LavalinkSession(node.url, node.password) as session:
        session.update_player(8101, {"volume": 20})
        session.update_player(8102, {"volume": 20})
    s = wait_until(node.metrics_url, lambda s: d(s, "lavametrics_session_closes_total") >= 1)
    assert d(s, "lavametrics_session_closes_total") == 1
    assert d(s, "lavametrics_player_destructions_total") == 2  # destroyed before the close is counted
    assert d(s, "lavametrics_sessions", state="active") == 0
    assert total(s, "lavametrics_players") == total(before, "lavametrics_players")


def test_pause_resume_close(node):
    before = scrape(node.metrics_url)
    d = _delta(before)
    first = LavalinkSession(node.url, node.password)
    assert first.configure_resuming(60) == {"resuming": True, "timeout": 60}
    first.update_player(8201, {"volume": 30})
    first.close()
    paused = wait_until(node.metrics_url, lambda s: d(s, "lavametrics_sessions", state="paused") == 1)
    assert d(paused, "lavametrics_sessions", state="paused") == 1
    assert d(paused, "lavametrics_sessions", state="active") == 0
    assert d(paused, "lavametrics_session_closes_total") == 0
    # REST finds sessions only among the open ones (util.kt socketContext): a paused session is a 404
    path = f"/v4/sessions/{first.session_id}/players"
    assert_error(call(node, "GET", path), 404, "Session not found", path)

    resumed = LavalinkSession(node.url, node.password, session_id=first.session_id)
    assert resumed.handshake_headers.get("session-resumed") == "true"
    assert resumed.resumed and resumed.session_id == first.session_id
    # ready(resumed), the queued messages, then one playerUpdate per player (SocketContext.resume)
    resumed.wait_for(lambda m: m.get("op") == "playerUpdate" and m.get("guildId") == "8201")
    ops = [m.get("op") for m in resumed.history]
    assert ops[0] == "ready" and "playerUpdate" in ops[1:], ops
    s = wait_until(node.metrics_url, lambda s: d(s, "lavametrics_session_opens_total", resumed="true") == 1)
    assert d(s, "lavametrics_session_opens_total", resumed="true") == 1
    assert d(s, "lavametrics_session_opens_total", resumed="false") == 1
    assert d(s, "lavametrics_sessions", state="active") == 1 and d(s, "lavametrics_sessions", state="paused") == 0
    assert call(node, "GET", path).status == 200

    resumed.request("PATCH", f"/v4/sessions/{resumed.session_id}", {"resuming": False})
    resumed.close()
    s = wait_until(node.metrics_url, lambda s: d(s, "lavametrics_session_closes_total") >= 1)
    assert d(s, "lavametrics_session_closes_total") == 1
    assert d(s, "lavametrics_sessions", state="active") == 0 and d(s, "lavametrics_sessions", state="paused") == 0


def test_a_session_not_resumed_in_time_is_destroyed_and_cannot_resume(node):
    before = scrape(node.metrics_url)
    d = _delta(before)
    first = LavalinkSession(node.url, node.password)
    first.configure_resuming(1)
    first.close()
    s = wait_until(node.metrics_url, lambda s: d(s, "lavametrics_session_closes_total") >= 1, timeout=15)
    assert d(s, "lavametrics_session_closes_total") == 1
    assert d(s, "lavametrics_sessions", state="paused") == 0
    with LavalinkSession(node.url, node.password, session_id=first.session_id) as late:
        assert late.handshake_headers.get("session-resumed") == "false"
        assert not late.resumed and late.session_id != first.session_id


def test_resuming_an_unknown_session_opens_a_new_one(node):
    with LavalinkSession(node.url, node.password, session_id="nosuchsession000") as session:
        assert session.handshake_headers.get("session-resumed") == "false"
        assert not session.resumed and session.session_id != "nosuchsession000"


def test_a_stopping_node_closes_its_client_sockets_with_going_away_or_drops_them(node_factory, flavor):
    """Lavalink closes every client websocket with a close frame, 1001, when it stops (a restart,
    a deploy): its ShutdownHandler, a JVM shutdown hook, which races Spring's own hook stopping the
    web server, so on a real node the socket is sometimes dropped first. The stand-in always sends
    the close frame, the case some clients mishandle: wavelink 3.5.2 and mafic 2.11 stop reading
    their socket on it and never reconnect (docs/compat.md; the bot adapters' live tests)."""
    import asyncio

    import aiohttp

    node = node_factory(plugin=False)  # its own node: this test stops it

    async def probe() -> list:
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": node.password, "User-Id": "1", "Client-Name": "conformance/1.0"}
            ws = await http.ws_connect(node.url + "/v4/websocket", headers=headers)
            while (await ws.receive()).json().get("op") != "ready":
                pass
            stopping = asyncio.get_running_loop().run_in_executor(None, node.stop)
            seen = []
            while not ws.closed:
                message = await asyncio.wait_for(ws.receive(), 60)
                if message.type is not aiohttp.WSMsgType.TEXT:  # stats may still come
                    seen.append((message.type, message.data))
            await stopping
            return seen

    seen = asyncio.run(probe())
    if flavor.standin:
        assert seen[0] == (aiohttp.WSMsgType.CLOSE, 1001), seen
    else:
        assert seen[0] in ((aiohttp.WSMsgType.CLOSE, 1001), (aiohttp.WSMsgType.CLOSED, None)), seen
