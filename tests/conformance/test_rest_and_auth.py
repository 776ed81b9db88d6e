"""REST shapes, error bodies and authorization, as real Lavalink answers them.

Sources, at tags 4.1.2 and 4.2.2 of lavalink-devs/Lavalink: protocol/src/commonMain/kotlin/dev/arbjerg/
lavalink/protocol/v4/{info,stats,error}.kt, LavalinkServer/src/main/java/lavalink/server/config/
RequestAuthorizationFilter.kt and io/HandshakeInterceptorImpl.kt. Measured on real 4.1.2 and 4.2.2 (docs/compat.md).
"""

from __future__ import annotations

import re

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conformance.rest import assert_error, call

pytestmark = [pytest.mark.conformance, pytest.mark.integration]


def test_version_is_plain_text_semver(node, flavor):
    answer = call(node, "GET", "/version")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", answer.body), answer.body
    if flavor.standin:
        assert answer.body == "4.2.2-lavametrics-standin"  # says which release it models, and that it is not it


def test_info_has_exactly_lavalinks_fields(node, flavor):
    answer = call(node, "GET", "/v4/info")
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/json")
    info = answer.json()
    assert set(info) == {"version", "buildTime", "git", "jvm", "lavaplayer", "sourceManagers", "filters", "plugins"}
    # Version has no "build" field; preRelease is "" for a release (the regex group), never absent
    assert set(info["version"]) == {"semver", "major", "minor", "patch", "preRelease"}, info["version"]
    assert (info["version"]["major"], info["version"]["minor"], info["version"]["patch"]) == flavor.release
    assert isinstance(info["version"]["preRelease"], str)
    assert set(info["git"]) == {"branch", "commit", "commitTime"}
    assert isinstance(info["buildTime"], int)
    assert "lavametrics" in {p["name"] for p in info["plugins"]}
    assert all(set(p) == {"name", "version"} for p in info["plugins"])
    assert {"local", "http"} <= set(info["sourceManagers"])


def test_stats_have_null_frame_stats_without_a_session(node):
    stats = call(node, "GET", "/v4/stats").json()
    # frame stats exist only per session (StatsCollector.retrieveStats(context)); the key is still there
    assert set(stats) == {"frameStats", "players", "playingPlayers", "uptime", "memory", "cpu"}, stats
    assert stats["frameStats"] is None
    assert set(stats["memory"]) == {"free", "used", "allocated", "reservable"}
    assert set(stats["cpu"]) == {"cores", "systemLoad", "lavalinkLoad"}
    assert 0 <= stats["cpu"]["lavalinkLoad"] <= 1


@pytest.mark.parametrize("path", ["/v4/sessions/nosuchsession/players", "/v4/sessions/nosuchsession/players/1"])
def test_unknown_session_is_a_404_error_body(node, path):
    assert_error(call(node, "GET", path), 404, "Session not found", path)


def test_every_answer_carries_the_api_version_header(node):
    for answer in (
        call(node, "GET", "/v4/info"),
        call(node, "GET", "/v4/info", auth=None),
        call(node, "GET", "/v4/sessions/nosuchsession/players"),
    ):
        assert answer.headers.get("lavalink-api-version") == "4", answer.headers


def test_rest_without_or_with_a_wrong_password_gets_a_bare_status(node):
    missing = call(node, "GET", "/v4/info", auth=None)
    wrong = call(node, "GET", "/v4/info", auth="not-the-password")
    # RequestAuthorizationFilter only sets the status: no body at all
    assert (missing.status, missing.body) == (401, "")
    assert (wrong.status, wrong.body) == (403, "")


def test_explicit_metrics_endpoint_is_anonymous(node):
    assert call(node, "GET", "/metrics", auth=None).status == 200


def _handshake(node, headers: dict[str, str]) -> int:
    url = node.url.replace("http://", "ws://") + "/v4/websocket"
    try:
        with connect(url, additional_headers=headers, open_timeout=10):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def test_websocket_handshake_rejects_a_missing_or_wrong_password_with_401(node):
    # HandshakeInterceptorImpl answers 401 to both (REST tells the two apart: 401 and 403)
    assert _handshake(node, {"User-Id": "1"}) == 401
    assert _handshake(node, {"User-Id": "1", "Authorization": "not-the-password"}) == 401


@pytest.mark.parametrize("user_id", [None, "0"])
def test_websocket_handshake_needs_a_user_id(node, user_id):
    headers = {"Authorization": node.password}
    if user_id is not None:
        headers["User-Id"] = user_id
    assert _handshake(node, headers) == 400
