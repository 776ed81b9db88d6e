from lavametrics.config.catalog import load_catalog
from lavametrics.httpfetch import Auth
from lavametrics.monitor.nodecheck import ERROR, HEALTHY, UNHEALTHY, check_node
from lavametrics.monitor.nodesfile import NodeSpec
from tests.unit.fakenode import plugin_exposition

CATALOG = load_catalog(prefer_jar=False)


def spec(node, password=None, auth=None, url=None):
    return NodeSpec(
        "n1",
        url or node.url,
        node.password if password is None else password,
        node.metrics_url,
        auth,
        own_endpoint=auth is not None,
    )


def by_name(report):
    return {r.name: r for r in report.results}


def test_healthy(fake_node):
    report = check_node(spec(fake_node()), CATALOG)
    assert report.status == HEALTHY, report.results
    assert report.plugin_version == "0.1.0"
    assert by_name(report)["families present"].detail.startswith(f"{len(CATALOG.families) - 2}/")
    assert report.reason == "healthy"


def test_disabled_rest_group_is_not_expected(fake_node):
    # rest is off by default: its two families are absent and that is fine
    report = check_node(spec(fake_node()), CATALOG)
    assert "lavametrics_rest" not in by_name(report)["families present"].detail


def _without_route_planner_families() -> str:
    text = plugin_exposition(catalog=CATALOG)
    return "".join(line + "\n" for line in text.splitlines() if "lavametrics_route_planner" not in line)


def test_a_node_without_route_planner_does_not_miss_its_families(fake_node):
    node = fake_node(metrics_text=_without_route_planner_families())
    node.route_planner = False  # Lavalink's 204 from /v4/routeplanner/status
    report = check_node(spec(node), CATALOG)
    assert report.status == HEALTHY, report.results
    assert "no route planner on this node" in by_name(report)["families present"].detail


def test_a_node_with_a_route_planner_misses_its_families(fake_node):
    node = fake_node(metrics_text=_without_route_planner_families())
    node.route_planner = True
    report = check_node(spec(node), CATALOG)
    assert report.status == UNHEALTHY
    assert "missing: lavametrics_route_planner_info" in by_name(report)["families present"].detail


def test_without_plugin_is_unhealthy_with_one_line_reason(fake_node):
    report = check_node(spec(fake_node(plugin=False)), CATALOG)
    assert report.status == UNHEALTHY
    assert report.reason.startswith("plugin: lavametrics not in /v4/info plugins")
    assert "\n" not in report.reason


def test_unreachable_and_bad_password_are_errors(fake_node):
    node = fake_node()
    assert check_node(spec(node, url="http://127.0.0.1:1"), CATALOG, timeout=1).status == ERROR
    report = check_node(spec(node, password="nope"), CATALOG)
    assert report.status == ERROR and "bad password" in report.reason


def test_missing_family_and_wrong_type(fake_node):
    text = plugin_exposition()
    text = text.replace(
        "# TYPE lavametrics_voice_connected_players gauge", "# TYPE lavametrics_voice_connected_players counter"
    )
    text = (
        "\n".join(
            line
            for line in text.splitlines()
            if not line.startswith("lavametrics_sessions") and "lavametrics_sessions " not in line
        )
        + "\n"
    )
    node = fake_node(metrics_text=text)
    report = check_node(spec(node), CATALOG)
    assert report.status == UNHEALTHY
    results = by_name(report)
    assert "lavametrics_sessions" in results["families present"].detail
    assert not results["family types"].ok
    assert "lavametrics_voice_connected_players" in results["family types"].detail


def test_counter_typed_as_gauge_is_reported(fake_node):
    text = plugin_exposition().replace(
        "# TYPE lavametrics_track_starts_total counter", "# TYPE lavametrics_track_starts_total gauge"
    )
    report = check_node(spec(fake_node(metrics_text=text)), CATALOG)
    detail = by_name(report)["family types"].detail
    assert "lavametrics_track_starts_total is gauge, expected counter" in detail


def test_players_mismatch(fake_node):
    node = fake_node(metrics_text=plugin_exposition(players={"playing": 5, "paused": 0, "idle": 0}))
    report = check_node(spec(node), CATALOG)
    assert not by_name(report)["players consistent"].ok
    assert report.status == UNHEALTHY


def test_metrics_endpoint_failures(fake_node):
    node = fake_node()
    node.metrics_status = 500
    report = check_node(spec(node), CATALOG)
    assert report.status == UNHEALTHY and "http 500" in report.reason
    node.metrics_status = 200
    node.garbage = False
    node.metrics_text = "<html>oops</html>"
    assert "garbage" in check_node(spec(node), CATALOG).reason


def test_own_endpoint_auth_checked(fake_node):
    node = fake_node(metrics_auth=("basic", "prom", "s3cret"))
    report = check_node(spec(node, auth=Auth(username="prom", password="s3cret")), CATALOG)
    assert by_name(report)["endpoint auth"].ok, report.results
    assert report.status == HEALTHY
    node = fake_node(metrics_auth=("bearer", "tok"))
    assert check_node(spec(node, auth=Auth(bearer_token="tok")), CATALOG).status == HEALTHY


def test_open_endpoint_fails_the_auth_check(fake_node):
    node = fake_node()  # accepts anything: configured auth is not enforced
    report = check_node(spec(node, auth=Auth(username="prom", password="s3cret")), CATALOG)
    assert not by_name(report)["endpoint auth"].ok
    assert "no credentials -> 200" in by_name(report)["endpoint auth"].detail


def test_id_like_labels_warn_without_printing_a_value(fake_node):
    # what Lavalink's development branch exports (SearchMetrics.kt, PR #1188), and a snowflake in an
    # innocent-looking label
    extra = (
        "# TYPE lavalink_tracks_played_total counter\n"
        'lavalink_tracks_played_total{source="youtube",guild_id="123456789012345678"} 3.0\n'
        "# TYPE some_plugin_listeners gauge\n"
        'some_plugin_listeners{target="987654321098765432"} 1.0\n'
    )
    report = check_node(spec(fake_node(metrics_text=plugin_exposition(extra=extra))), CATALOG)
    result = by_name(report)["ID-like labels"]
    assert result.ok and result.warning
    assert "lavalink_tracks_played_total{guild_id}" in result.detail
    assert "some_plugin_listeners{target}" in result.detail
    assert "123456789012345678" not in result.detail and "987654321098765432" not in result.detail
    assert report.status == HEALTHY  # a warning, not a failure


def test_the_plugins_own_labels_are_not_id_like(fake_node):
    result = by_name(check_node(spec(fake_node()), CATALOG))["ID-like labels"]
    assert result.ok and not result.warning, result.detail


def test_id_like_label_names():
    from lavametrics.monitor.nodecheck import id_like_label

    for name in ("guild_id", "id", "userId", "guild", "session_id", "user", "channel_id", "voice_session"):
        assert id_like_label(name), name
    for name in ("source", "valid", "cause", "reason", "le", "quantile", "code", "route", "identifier"):
        assert not id_like_label(name), name
