"""The bot's own /metrics endpoint, configured from METRICS_* environment variables."""

import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics, MetricsEnvError
from lavametrics.http.webconfig import WebConfigError
from tests.unit.webhelpers import basic, bcrypt_hash, client_context, get, self_signed


@pytest.fixture
def bot_registry():
    reg = CollectorRegistry()
    BotMetrics(registry=reg, commands=["play"]).set_queue_length(7)
    return reg


@pytest.fixture
def started():
    servers = []

    def start(env, registry):
        server = BotMetrics.from_env(registry, environ=env).server
        if server is not None:
            servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def url_of(server):
    return f"{server.scheme}://127.0.0.1:{server.server_address[1]}/metrics"


@pytest.mark.parametrize("enabled", [None, "", "false", "0", "no", "OFF"])
def test_off_unless_enabled(started, bot_registry, enabled):
    env = {"METRICS_PORT": "0"} | ({"METRICS_ENABLED": enabled} if enabled is not None else {})
    assert started(env, bot_registry) is None


def test_plain_endpoint(started, bot_registry):
    server = started({"METRICS_ENABLED": "true", "METRICS_PORT": "0"}, bot_registry)
    assert server.server_address[0] == "127.0.0.1"  # METRICS_ADDR's default: not the whole network
    status, _h, body = get(url_of(server))
    assert status == 200 and b"bot_queue_tracks 7.0" in body


def test_basic_auth_from_the_environment(started, bot_registry):
    server = started(
        {"METRICS_ENABLED": "1", "METRICS_PORT": "0", "METRICS_ADDR": "127.0.0.1", "METRICS_BASIC_AUTH": "prom:pa:ss"},
        bot_registry,
    )  # the password may hold ':'
    status, _h, body = get(url_of(server), headers={"Authorization": basic("prom", "pa:ss")})
    assert status == 200 and b"bot_queue_tracks 7.0" in body
    for auth in (basic("prom", "pa"), basic("other", "pa:ss"), None):
        status, headers, body = get(url_of(server), headers={"Authorization": auth} if auth else {})
        assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
        assert b"bot_queue_tracks" not in body


def test_web_config_file_gives_tls_and_bcrypt_users(started, bot_registry, tmp_path):
    cert = self_signed(tmp_path)
    web = tmp_path / "web.yml"
    web.write_text(
        f"tls_server_config: {{cert_file: {cert.cert}, key_file: {cert.key}}}\n"
        f"basic_auth_users:\n  prom: {bcrypt_hash('pw')}\n"
    )
    server = started({"METRICS_ENABLED": "yes", "METRICS_PORT": "0", "METRICS_WEB_CONFIG": str(web)}, bot_registry)
    ctx = client_context(cert.cert)
    status, _h, body = get(url_of(server), headers={"Authorization": basic("prom", "pw")}, context=ctx)
    assert url_of(server).startswith("https://") and status == 200 and b"bot_queue_tracks 7.0" in body
    assert get(url_of(server), headers={"Authorization": basic("prom", "no")}, context=ctx)[0] == 401


@pytest.mark.parametrize(
    "env, expected, secret",
    [
        ({"METRICS_ENABLED": "maybe"}, "METRICS_ENABLED='maybe': expected true or false", None),
        ({"METRICS_PORT": "http"}, "METRICS_PORT='http': expected a port number", None),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT='70000'", None),
        ({"METRICS_BASIC_AUTH": "hunter2"}, "METRICS_BASIC_AUTH: expected user:password", "hunter2"),
        ({"METRICS_BASIC_AUTH": "prom:"}, "METRICS_BASIC_AUTH: expected user:password", None),
        ({"METRICS_BASIC_AUTH": "prom:hunter2", "METRICS_WEB_CONFIG": "/x.yml"}, "are exclusive", "hunter2"),
    ],
)
def test_bad_settings_are_one_line_errors_without_secrets(bot_registry, env, expected, secret):
    env = {"METRICS_ENABLED": "true", "METRICS_PORT": "0"} | env
    with pytest.raises(MetricsEnvError) as info:
        BotMetrics.from_env(bot_registry, environ=env)
    message = str(info.value)
    assert expected in message and "\n" not in message
    if secret:
        assert secret not in message


def test_bad_web_config_file_is_a_webconfig_error(bot_registry, tmp_path):
    web = tmp_path / "web.yml"
    web.write_text("basic_auth_users: {prom: plain-secret}\n")
    with pytest.raises(WebConfigError) as info:
        BotMetrics.from_env(
            bot_registry, environ={"METRICS_ENABLED": "true", "METRICS_PORT": "0", "METRICS_WEB_CONFIG": str(web)}
        )
    assert str(web) in str(info.value) and "plain-secret" not in str(info.value)


def test_a_failing_collector_answers_500_without_its_message(started, capsys):
    # A bot's collector may put anything in its exception (a URL with a token, say): the
    # HTTP answer and the server's stderr name the failure, never repeat its text.
    class Failing:
        def collect(self):
            raise ValueError("cannot reach http://bot:t0ps3cret@lavalink:2333")

    registry = CollectorRegistry()
    registry.register(Failing())
    server = started({"METRICS_ENABLED": "true", "METRICS_PORT": "0"}, registry)
    status, _headers, body = get(url_of(server))
    assert status == 500
    assert b"ValueError" in body
    assert b"t0ps3cret" not in body
    assert "t0ps3cret" not in capsys.readouterr().err


def test_from_env_gives_the_metrics_and_their_endpoint(started):
    registry = CollectorRegistry()
    metrics = BotMetrics.from_env(registry, environ={}, commands=["play"])
    assert metrics.server is None and "play" in metrics.commands  # off: the metrics alone
    server = started({"METRICS_ENABLED": "true", "METRICS_PORT": "0"}, registry)
    metrics.observe_command("play", 0.1, "success")
    status, _h, body = get(url_of(server))
    assert status == 200 and b'bot_commands_total{command="play",outcome="success"} 1.0' in body
