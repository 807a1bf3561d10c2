"""Alerts: each new deal or stage change reaches a loopback webhook once, failures are retried, filters hold."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline import alerts as alerts_module
from pipeline.cli import main

from seed_run import run, seed_config


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alerts_module, "BACKOFF_SECONDS", 0.0)


@pytest.fixture
def httpserver(httpserver: HTTPServer) -> HTTPServer:
    """The plugin's server, with the requests and expectations of earlier tests cleared."""
    httpserver.clear()
    return httpserver


def config(tmp_path: Path, url: str, extra: str = "") -> Path:
    return seed_config(tmp_path, f"""
name = "team"
url = "{url}"
retries = 1
{extra}
""")


def received(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _ in httpserver.log]


def test_the_seeds_two_deals_are_sent_once_each_and_not_again_on_the_rerun(tmp_path: Path,
                                                                            httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    path = config(tmp_path, httpserver.url_for("/hook"))
    run(path)
    events = [json.loads(r.get_data()) for r in received(httpserver)]
    assert sorted((e["deal"]["country"], e["deal"]["partner"], e["stage"]["to"], e["event"]) for e in events) == [
        ("MA", "Mistral AI", "mou", "new_deal"), ("MA", "OpenAI", "talks", "new_deal")]
    assert all(r.headers["Idempotency-Key"] == json.loads(r.get_data())["idempotency_key"] for r in received(httpserver))
    assert all(e["links"] and e["evidence"] for e in events)
    run(path)
    assert len(received(httpserver)) == 2
    listing = CliRunner().invoke(main, ["alerts", "--config", str(path)]).output
    assert sum(line.split()[:2] == ["team", "sent"] for line in listing.splitlines()) == 2


def test_a_failing_receiver_is_retried_on_the_next_run_and_then_sent_once(tmp_path: Path,
                                                                         httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    path = config(tmp_path, httpserver.url_for("/hook"))
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 0 and "alerts: 0 sent, 2 failed" in result.output
    assert len(received(httpserver)) == 4  # one try and one retry for each of the two events
    assert "HTTP 503" in CliRunner().invoke(main, ["alerts", "--config", str(path)]).output
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    run(path)
    run(path)
    assert len(received(httpserver)) == 2


def test_a_receiver_that_hangs_fails_within_the_timeout(tmp_path: Path, httpserver: HTTPServer) -> None:
    release = threading.Event()

    def hang(request: Request) -> Response:
        release.wait(5)
        return Response("late")

    httpserver.expect_request("/hook").respond_with_handler(hang)
    path = config(tmp_path, httpserver.url_for("/hook"), "timeout = 0.2")
    assert "2 failed" in CliRunner().invoke(main, ["run", "--config", str(path)]).output
    release.set()  # let the server finish the hung requests before the next test uses it
    deadline = time.monotonic() + 5
    while len(httpserver.log) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)


def test_chat_formats_and_filters(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    run(config(tmp_path, httpserver.url_for("/hook"), 'format = "slack"\nstages = ["mou"]'))
    bodies = [json.loads(r.get_data()) for r in received(httpserver)]
    assert len(bodies) == 1 and bodies[0]["text"].startswith("Morocco – Mistral AI: mou.")
    other = tmp_path / "other"
    other.mkdir()
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    run(config(other, httpserver.url_for("/hook"), 'format = "ntfy"\ncountries = ["ke"]'))
    assert received(httpserver) == []


def test_alerts_test_sends_a_sample_and_names_an_unknown_alert(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    path = config(tmp_path, httpserver.url_for("/hook"), 'format = "discord"')
    result = CliRunner().invoke(main, ["alerts", "--test", "team", "--config", str(path)])
    assert result.exit_code == 0 and "sample event sent" in result.output
    assert "test message" in json.loads(received(httpserver)[0].get_data())["content"]
    unknown = CliRunner().invoke(main, ["alerts", "--test", "nobody", "--config", str(path)])
    assert unknown.exit_code == 2 and "no alert named 'nobody'" in unknown.output


@pytest.mark.parametrize(("extra", "key"), [('format = "telegram"', "format"), ('stages = ["signed"]', "stages"),
                                            ("retrys = 2", "retrys")])
def test_a_bad_alert_table_is_one_line_naming_the_key(tmp_path: Path, extra: str, key: str) -> None:
    result = CliRunner().invoke(main, ["run", "--config", str(config(tmp_path, "https://hooks.invalid/x", extra))])
    assert result.exit_code == 2 and f"alert 'team': key '{key}'" in result.output
