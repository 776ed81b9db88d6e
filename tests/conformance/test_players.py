"""Player lifecycle and the voice state a client sends, as Lavalink answers them.

Sources at 4.1.2 / 4.2.2: LavalinkServer/src/main/java/lavalink/server/player/PlayerRestHandler.kt,
io/SocketContext.kt (getPlayer, destroyPlayer), protocol/.../v4/player.kt (Player, VoiceState).
4.2.0 added `channelId` to VoiceState without a default: a voice state without it does not
deserialize (400), and a blank one is refused by PlayerRestHandler (400, its own message).
"""

from __future__ import annotations

import pytest

from lavametrics.devtools.voicelink import voice_state
from lavametrics.lavalink.session import LavalinkSession
from tests.conformance.rest import assert_error, call, eventually
from tests.samples import scrape, value, wait_until

pytestmark = [pytest.mark.conformance, pytest.mark.integration]

PLAYER_KEYS = {"guildId", "track", "volume", "paused", "state", "voice", "filters"}


@pytest.fixture()
def session(node):
    with LavalinkSession(node.url, node.password) as s:
        yield s


def _voice_keys(flavor):
    return (
        {"token", "endpoint", "sessionId", "channelId"}
        if flavor.requires_channel_id
        else {"token", "endpoint", "sessionId"}
    )


def test_patch_creates_get_reads_delete_destroys(node, flavor, session):
    before = scrape(node.metrics_url)
    d = lambda s, name: value(s, name) - value(before, name)  # noqa: E731
    base = f"/v4/sessions/{session.session_id}/players"
    created = call(node, "PATCH", f"{base}/8301", {"volume": 40})
    assert created.status == 200, created.body
    player = created.json()
    assert set(player) == PLAYER_KEYS, player
    assert player["guildId"] == "8301" and player["track"] is None and player["volume"] == 40
    assert set(player["state"]) == {"time", "position", "connected", "ping"}
    assert player["state"]["connected"] is False and player["state"]["ping"] == -1
    assert set(player["voice"]) == _voice_keys(flavor), player["voice"]
    if flavor.requires_channel_id:
        assert player["voice"]["channelId"] is None
    assert call(node, "GET", f"{base}/8301").json()["volume"] == 40
    assert [p["guildId"] for p in call(node, "GET", base).json()] == ["8301"]

    assert_error(call(node, "GET", f"{base}/8302"), 404, "Player not found", f"{base}/8302")
    assert call(node, "DELETE", f"{base}/8302").status == 204  # a missing player: 204, nothing destroyed
    assert call(node, "DELETE", f"{base}/8301").status == 204
    assert call(node, "GET", f"{base}/8301").status == 404
    s = wait_until(node.metrics_url, lambda s: d(s, "lavametrics_player_destructions_total") >= 1)
    assert d(s, "lavametrics_player_creations_total") == 1
    assert d(s, "lavametrics_player_destructions_total") == 1


def test_a_body_that_does_not_deserialize_is_a_plain_400(node, session):
    path = f"/v4/sessions/{session.session_id}/players/8311"
    # the reason phrase, never the parser's text (Undertow's sendError(400))
    assert_error(call(node, "PATCH", path, "not json"), 400, "Bad Request", path)
    assert call(node, "GET", path).status == 404


def test_voice_state_without_channel_id(node, flavor, sim, session):
    guild = 8321
    path = f"/v4/sessions/{session.session_id}/players/{guild}"
    state = voice_state(sim, guild)
    del state["channelId"]
    before = scrape(node.metrics_url)
    answer = call(node, "PATCH", path, {"voice": state})
    if flavor.requires_channel_id:
        assert_error(answer, 400, "Bad Request", path)
        assert call(node, "GET", path).status == 404, "a refused voice state creates no player"
        assert value(scrape(node.metrics_url), "lavametrics_player_creations_total") == value(
            before, "lavametrics_player_creations_total"
        )
    else:
        assert answer.status == 200, answer.body  # 4.1.x has no channelId at all
        sim.wait_connected(guild, timeout=15)
    call(node, "DELETE", path)


def test_voice_state_with_a_blank_field(node, flavor, sim, session):
    guild = 8331
    path = f"/v4/sessions/{session.session_id}/players/{guild}"
    blank_channel = {**voice_state(sim, guild), "channelId": ""}
    answer = call(node, "PATCH", path, {"voice": blank_channel})
    if flavor.requires_channel_id:
        assert_error(answer, 400, "token, endpoint, sessionId and channelId must be provided in voice state", path)
    else:
        assert answer.status == 200, answer.body  # 4.1 ignores channelId
        sim.wait_connected(guild, timeout=15)
    blank_token = {**voice_state(sim, guild + 1), "token": ""}
    answer = call(node, "PATCH", f"/v4/sessions/{session.session_id}/players/{guild + 1}", {"voice": blank_token})
    assert answer.status == 400, answer.body
    call(node, "DELETE", path)


def test_a_channel_id_that_is_not_a_number(node, flavor, sim, session):
    guild = 8336
    path = f"/v4/sessions/{session.session_id}/players/{guild}"
    answer = call(node, "PATCH", path, {"voice": {**voice_state(sim, guild), "channelId": "general"}})
    if flavor.requires_channel_id:
        # PlayerRestHandler.kt converts it with toLong() after creating the player: an unhandled error
        body = assert_error(answer, 500, path=path)
        assert "NumberFormatException" in body["message"], body
        assert call(node, "GET", path).status == 200, "the player exists all the same"
    else:
        assert answer.status == 200, answer.body
        sim.wait_connected(guild, timeout=15)
    call(node, "DELETE", path)


def test_a_complete_voice_state_connects_before_the_patch_answers(node, flavor, sim, session):
    guild = 8341
    path = f"/v4/sessions/{session.session_id}/players/{guild}"
    state = voice_state(sim, guild)
    answer = call(node, "PATCH", path, {"voice": state})
    assert answer.status == 200, answer.body
    player = answer.json()
    # PlayerRestHandler joins the voice client's connect future: the gateway websocket is open by now
    assert player["state"]["connected"] is True, player
    # Koe's ping is 0 until its first heartbeat ACK, one heartbeat interval (13.75 s here) after the handshake
    assert player["state"]["ping"] == 0, player
    assert set(player["voice"]) == _voice_keys(flavor)
    assert {k: player["voice"][k] for k in _voice_keys(flavor)} == {k: state[k] for k in _voice_keys(flavor)}
    assert sim.wait_connected(guild, timeout=15)["session_id"] == state["sessionId"]
    assert call(node, "DELETE", path).status == 204


def test_a_paused_sessions_players_are_out_of_rest_reach(node):
    first = LavalinkSession(node.url, node.password)
    first.configure_resuming(30)
    first.update_player(8351, {"volume": 10})
    first.close()
    path = f"/v4/sessions/{first.session_id}/players/8351"
    eventually(lambda: call(node, "GET", path).status == 404, what="the session to pause")
    assert_error(call(node, "PATCH", path, {"volume": 11}), 404, "Session not found", path)
    with LavalinkSession(node.url, node.password, session_id=first.session_id) as resumed:
        assert resumed.resumed
        assert call(node, "GET", path).json()["volume"] == 10
        resumed.request("PATCH", f"/v4/sessions/{resumed.session_id}", {"resuming": False})
