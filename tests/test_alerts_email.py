"""Email alerts against a real local SMTP server (aiosmtpd on loopback): plain, STARTTLS, SSL, login, failures."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from pipeline import alerts as alerts_module
from pipeline.cli import main

from seed_run import run, seed_config


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alerts_module, "BACKOFF_SECONDS", 0.0)


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it accepts, and refuses the first `failures` messages with a 451."""

    failures: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.failures:
            self.failures -= 1
            self.refused += 1
            return "451 4.3.0 mailbox busy, try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def subjects(self) -> list[str]:
        return sorted(str(m["Subject"]) for m in self.messages)


@dataclass
class Server:
    port: int
    inbox: Inbox
    logins: list[tuple[str, str] | None]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def smtp_server(ca: trustme.CA) -> Iterator[Any]:
    """Start aiosmtpd servers on loopback: smtp_server(security=..., login=(user, password), failures=N)."""
    started: list[Controller] = []

    def start(security: str = "none", login: tuple[str, str] | None = None, failures: int = 0) -> Server:
        inbox, logins = Inbox(failures=failures), []  # type: ignore[var-annotated]

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
            logins.append(given)
            return AuthResult(success=given == login, handled=False)  # handled=False: the server answers 535

        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(tls)
        options: dict[str, Any] = {"server_hostname": "localhost"}
        if security == "starttls":
            options |= {"tls_context": tls, "require_starttls": True}
        if login:
            options |= {"authenticator": authenticate, "auth_required": True}
        if security == "ssl":
            # TLS from the first byte: aiosmtpd counts only STARTTLS as encryption for AUTH, and warns when AUTH
            # is required without it, so here AUTH is offered (and checked by the test) rather than required.
            options |= {"ssl_context": tls, "auth_require_tls": False, "auth_required": False}
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        started.append(controller)
        return Server(controller.port, inbox, logins)

    yield start
    for controller in started:
        controller.stop()


def config(tmp_path: Path, port: int, extra: str = "", security: str = "none", retries: int = 1,
           timeout: float = 5) -> Path:
    return seed_config(tmp_path, f"""
name = "desk"
kind = "email"
host = "localhost"
port = {port}
security = "{security}"
from = "dealwatch <alerts@dealwatch.example>"
to = ["desk@newsroom.example", "editor@newsroom.example"]
retries = {retries}
timeout = {timeout}
{extra}
""")


def listing(path: Path) -> list[list[str]]:
    output = CliRunner().invoke(main, ["alerts", "--config", str(path)]).output
    return [line.split() for line in output.splitlines() if line.startswith("desk ")]


SEED_SUBJECTS = ["dealwatch: Morocco – Mistral AI: new deal (mou)", "dealwatch: Morocco – OpenAI: new deal (talks)"]


def test_the_seeds_two_deals_arrive_once_each_as_text_and_html_and_not_again_on_the_rerun(
        tmp_path: Path, smtp_server: Any) -> None:
    server = smtp_server()
    path = config(tmp_path, server.port)
    run(path)
    run(path)
    assert server.inbox.subjects() == SEED_SUBJECTS
    assert server.inbox.recipients == [["desk@newsroom.example", "editor@newsroom.example"]] * 2
    message = next(m for m in server.inbox.messages if "Mistral" in str(m["Subject"]))
    assert message["From"] == "dealwatch <alerts@dealwatch.example>"
    assert str(message["Message-ID"]).endswith(".dealwatch@dealwatch.example>")
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    page = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # The first line is the digest's: the deal, its stage and what it is for; then the quoted evidence.
    assert text.startswith("Morocco – Mistral AI: mou; models") and "\n\n“" in text and "alert 'desk'" in text
    assert "<strong>Morocco – Mistral AI</strong>" in page and "<blockquote>“" in page
    assert [row[:2] for row in listing(path)] == [["desk", "sent"], ["desk", "sent"]]


def test_a_crash_between_sending_and_recording_resends_with_the_same_message_id(
        tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_server()
    path = config(tmp_path, server.port, 'stages = ["mou"]')

    def crash(*args: Any) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(alerts_module.store, "record_alert", crash)
        assert CliRunner().invoke(main, ["run", "--config", str(path)]).exit_code != 0
    run(path)
    run(path)
    first, again = server.inbox.messages
    assert first["Message-ID"] == again["Message-ID"]  # a mail client shows one message


def test_a_server_that_refuses_is_logged_and_retried_on_the_next_run_then_sent_once(
        tmp_path: Path, smtp_server: Any) -> None:
    server = smtp_server(failures=4)  # the first run's two tries of both events
    path = config(tmp_path, server.port)
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 0 and "alerts: 0 sent, 2 failed" in result.output
    assert server.inbox.refused == 4 and server.inbox.messages == []
    rows = listing(path)
    assert [row[:3] for row in rows] == [["desk", "failed", "1"]] * 2
    assert all(" ".join(row).endswith("SMTP 451: 4.3.0 mailbox busy, try again later") for row in rows)
    run(path)
    run(path)
    assert server.inbox.subjects() == SEED_SUBJECTS
    assert [row[:3] for row in listing(path)] == [["desk", "sent", "2"]] * 2


def test_no_server_listening_is_a_failure_kept_for_the_next_run(tmp_path: Path) -> None:
    path = config(tmp_path, free_port())
    assert "alerts: 0 sent, 2 failed" in CliRunner().invoke(main, ["run", "--config", str(path)]).output
    assert all("ConnectionRefusedError" in " ".join(row) for row in listing(path))


def test_a_server_that_never_answers_fails_within_the_timeout(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never greets
        path = config(tmp_path, silent.getsockname()[1], timeout=0.3)
        started = time.monotonic()
        output = CliRunner().invoke(main, ["run", "--config", str(path)]).output
        elapsed = time.monotonic() - started
    assert "alerts: 0 sent, 2 failed" in output
    assert elapsed < 10  # 2 events x 2 tries x 0.3 s, plus the run itself
    assert all(" ".join(row).endswith("TimeoutError: no answer within 0.3 s") for row in listing(path))


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_a_login_from_the_environment(tmp_path: Path, smtp_server: Any, ca_file: Path,
                                               monkeypatch: pytest.MonkeyPatch, security: str) -> None:
    server = smtp_server(security=security, login=("dealwatch", "s3cret pass"))
    monkeypatch.setenv("TEST_SMTP_USER", "dealwatch")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret pass")
    login = f'username_env = "TEST_SMTP_USER"\npassword_env = "TEST_SMTP_PASSWORD"\nca_file = "{ca_file.name}"'
    path = config(tmp_path, server.port, login, security)
    run(path)
    assert server.inbox.subjects() == SEED_SUBJECTS
    assert server.logins == [("dealwatch", "s3cret pass")] * 2


def test_tls_fails_without_trust_in_the_servers_certificate(tmp_path: Path, smtp_server: Any) -> None:
    server = smtp_server(security="starttls")
    path = config(tmp_path, server.port, security="starttls", retries=0)
    assert "2 failed" in CliRunner().invoke(main, ["run", "--config", str(path)]).output
    assert server.inbox.messages == []
    assert all("certificate verify failed" in " ".join(row) for row in listing(path))


def test_starttls_is_required_not_skipped_when_the_server_does_not_offer_it(tmp_path: Path,
                                                                            smtp_server: Any) -> None:
    server = smtp_server()  # plain SMTP, no STARTTLS
    path = config(tmp_path, server.port, security="starttls", retries=0)
    assert "2 failed" in CliRunner().invoke(main, ["run", "--config", str(path)]).output
    assert server.inbox.messages == []
    assert all("does not offer STARTTLS" in " ".join(row) for row in listing(path))


def test_a_wrong_or_missing_login_fails_and_says_why(tmp_path: Path, smtp_server: Any, ca_file: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_server(security="starttls", login=("dealwatch", "right"))
    login = f'username_env = "TEST_SMTP_USER"\npassword_env = "TEST_SMTP_PASSWORD"\nca_file = "{ca_file.name}"'
    path = config(tmp_path, server.port, login, "starttls", retries=0)
    monkeypatch.setenv("TEST_SMTP_USER", "dealwatch")
    monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    run(path)
    assert all("environment variable TEST_SMTP_PASSWORD is not set" in " ".join(r) for r in listing(path))
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
    run(path)
    assert all("SMTP 535" in " ".join(row) for row in listing(path)) and server.inbox.messages == []


def test_alerts_test_sends_a_sample_email(tmp_path: Path, smtp_server: Any) -> None:
    server = smtp_server()
    path = config(tmp_path, server.port)
    for _ in range(2):
        result = CliRunner().invoke(main, ["alerts", "--test", "desk", "--config", str(path)])
        assert result.exit_code == 0, result.output
        assert "sample event sent to desk@newsroom.example, editor@newsroom.example via localhost:" in result.output
    first, second = server.inbox.messages
    assert first["Subject"] == "dealwatch: Morocco – Mistral AI: talks → mou"
    text = first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "This is a test message from dealwatch." in text
    assert first["Message-ID"] != second["Message-ID"]  # a mail server dropping repeats keeps both tests


def test_alerts_test_names_the_failure(tmp_path: Path) -> None:
    path = config(tmp_path, free_port(), retries=0)
    result = CliRunner().invoke(main, ["alerts", "--test", "desk", "--config", str(path)])
    assert result.exit_code == 1 and "alert 'desk': ConnectionRefusedError" in result.output


@pytest.mark.parametrize(("extra", "key", "says"), [
    ('password = "hunter2"', "password", "never goes in the config file: set password_env"),
    ('username = "me"', "username", "set username_env"),
    ('username_env = "TEST_SMTP_USER"', "password_env", "needs both username_env and password_env"),
    ('username_env = "TEST SMTP USER"\npassword_env = "P"', "username_env", "not the name of an environment"),
    ('url = "https://hooks.example/x"', "url", "unknown key"),
    ('ca_file = "missing.pem"', "ca_file", "is not a file"),
])
def test_a_bad_email_alert_is_one_line_naming_the_key(tmp_path: Path, extra: str, key: str, says: str) -> None:
    result = CliRunner().invoke(main, ["run", "--config", str(config(tmp_path, 2525, extra, "starttls"))])
    assert result.exit_code == 2 and f"alert 'desk': key '{key}'" in result.output and says in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("replace", "key"), [
    (('security = "starttls"', 'security = "tls"'), "security"),
    (('to = ["desk@newsroom.example", "editor@newsroom.example"]', "to = []"), "to"),
    (('from = "dealwatch <alerts@dealwatch.example>"', 'from = "dealwatch"'), "from"),
    (("port = 2525", "port = 70000"), "port"),
    (('security = "starttls"', 'security = "none"\nusername_env = "U"\npassword_env = "P"'), "security"),
])
def test_bad_smtp_settings_name_the_key(tmp_path: Path, replace: tuple[str, str], key: str) -> None:
    path = config(tmp_path, 2525, security="starttls")
    path.write_text(path.read_text(encoding="utf-8").replace(*replace), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 2 and f"alert 'desk': key '{key}'" in result.output


def test_the_port_follows_the_security_when_not_given(tmp_path: Path) -> None:
    from pipeline.config import load_settings

    path = config(tmp_path, 1, security="ssl")
    path.write_text(path.read_text(encoding="utf-8").replace("port = 1\n", ""), encoding="utf-8")
    assert load_settings(path).alerts[0].destination.endswith("via localhost:465")
