import time

import pytest

from lavametrics.exposition.parse import ParseError, parse
from lavametrics.httpfetch import Auth
from lavametrics.monitor.scrape import ScrapeError, scrape


def test_parse_text_and_openmetrics():
    text = '# TYPE x_total counter\nx_total 3\n# TYPE g gauge\ng{a="1"} 2\n'
    fams = {f.name: f for f in parse(text)}
    assert fams["x"].type == "counter" and fams["x"].samples[0].value == 3
    om = "# TYPE x counter\nx_total 3\n# EOF\n"
    fams = {f.name: f for f in parse(om, "application/openmetrics-text; version=1.0.0")}
    assert fams["x"].samples[0].name == "x_total"


@pytest.mark.parametrize("body", ["<html>hi</html>", "hello world", '{"a": 1}', "foo{ 1"])
def test_parse_garbage(body):
    with pytest.raises(ParseError):
        parse(body)


def test_scrape_ok(fake_node):
    node = fake_node()
    result = scrape(node.metrics_url)
    assert any(f.name == "lavametrics_players" for f in result.families)
    assert result.body_bytes > 0 and result.duration_seconds >= 0


def test_http_errors(fake_node):
    node = fake_node()
    node.metrics_status = 500
    with pytest.raises(ScrapeError) as info:
        scrape(node.metrics_url)
    assert info.value.reason == "http 500" and info.value.status == 500
    node.metrics_status = 200
    node.metrics_auth = ("bearer", "tok")
    with pytest.raises(ScrapeError) as info:
        scrape(node.metrics_url)
    assert info.value.reason == "http 401"
    assert scrape(node.metrics_url, auth=Auth(bearer_token="tok")).families
    node.metrics_auth = ("basic", "prom", "pw")
    assert scrape(node.metrics_url, auth=Auth(username="prom", password="pw")).families


def test_garbage(fake_node):
    node = fake_node()
    node.garbage = True
    with pytest.raises(ScrapeError) as info:
        scrape(node.metrics_url)
    assert info.value.reason == "garbage"


def test_too_large(fake_node):
    node = fake_node()
    node.huge_bytes = 3 * 1024 * 1024
    with pytest.raises(ScrapeError) as info:
        scrape(node.metrics_url, max_bytes=1024 * 1024)
    assert info.value.reason == "too large"


def test_hang_times_out(fake_node):
    node = fake_node()
    node.hang_seconds = 5
    start = time.monotonic()
    with pytest.raises(ScrapeError) as info:
        scrape(node.metrics_url, timeout=0.5)
    assert info.value.reason == "timeout"
    assert time.monotonic() - start < 2


def test_unreachable():
    with pytest.raises(ScrapeError) as info:
        scrape("http://127.0.0.1:1/metrics", timeout=1)
    assert info.value.reason == "unreachable"


def test_auth_headers():
    assert Auth(raw="pw").header() == "pw"
    assert Auth(bearer_token="t").header() == "Bearer t"
    assert Auth(username="a", password="b").header() == "Basic YTpi"
    assert Auth().header() is None


def test_unchanged_body_reuses_the_previous_families(fake_node):
    node = fake_node(metrics_text="# TYPE g gauge\ng 1\n")
    first = scrape(node.metrics_url)
    again = scrape(node.metrics_url, previous=first)
    assert again.families is first.families
    node.metrics_text = "# TYPE g gauge\ng 2\n"
    changed = scrape(node.metrics_url, previous=again)
    assert changed.families is not first.families and changed.families[0].samples[0].value == 2
