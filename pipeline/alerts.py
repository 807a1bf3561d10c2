"""Alerts: each new deal or stage change, pushed once to the webhook or email address of `[[alerts]]` tables.

An alert sees only what happened after it began watching (`alert_start`, recorded before the run
that first knows it), so adding one does not replay the archive. Each (alert, deal, stage) event is
sent once: `alerts_log` keeps what was sent, and a failure is retried on the next run. A webhook
payload carries an idempotency key, and an email a Message-ID made from it, so a receiver (or mail
client) can drop the rare copy a crash between sending and recording would cause.
"""

from __future__ import annotations

import hashlib
import html
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, getaddresses
from typing import Any

from pipeline import PROJECT_URL, store
from pipeline.config import AlertSettings, Settings, SmtpSettings
from pipeline.digest import country_name, deal_html, deal_news, deal_text, party_name
from pipeline.http import WebhookSender
from pipeline.mail import send_mail
from pipeline.normalise import clean_line

LOGGER = logging.getLogger(__name__)

FAR_FUTURE = "9999-12-31T23:59:59Z"
# What `dealwatch alerts --test` sends: the shape of a real event.
SAMPLE_DEAL: dict[str, Any] = {
    "id": 0, "country": "MA", "partner": "Mistral AI", "body": None, "level": "national", "from_stage": "talks",
    "to_stage": "mou", "mentions": [{"stage": "mou", "evidence": "This is a test message from dealwatch.",
                                     "event_date": None, "url": "https://dealwatch.example/test",
                                     "title": "dealwatch test message", "source": "dealwatch"}],
}
BACKOFF_SECONDS = 0.5  # first retry delay, doubled each time


@dataclass
class AlertSummary:
    """What one pass over the alerts did."""

    sent: int = 0
    failed: int = 0


def begin_watching(db: store.Database, settings: Settings) -> None:
    """Record, for every configured alert not seen before, that it watches from now on."""
    for alert in settings.alerts:
        store.alert_start(db, alert.name, store.now_iso())


def send_alerts(db: store.Database, settings: Settings) -> AlertSummary:
    """Send every event an alert has not sent yet; return how many were sent and failed."""
    summary = AlertSummary()
    if not settings.alerts:
        return summary
    with WebhookSender() as http:
        for alert in settings.alerts:
            since = store.alert_start(db, alert.name, store.now_iso())
            for deal in store.digest_data(db, since, FAR_FUTURE)["deals"]:
                if deal["from_stage"] == deal["to_stage"]:
                    continue
                if not alert.wants(deal["country"], deal["partner"], deal["to_stage"], deal["level"]):
                    continue
                key = f"{deal['id']}:{deal['to_stage']}"
                if store.alert_status(db, alert.name, key) == "sent":
                    continue
                error = deliver(http, alert, deal, key)
                store.record_alert(db, alert.name, key, deal["id"], deal["to_stage"], error, store.now_iso())
                if error:
                    summary.failed += 1
                    LOGGER.warning("alert=%s could not send %s: %s", alert.name, key, error)
                else:
                    summary.sent += 1
    return summary


def payload(alert: str, deal: dict[str, Any], key: str) -> dict[str, Any]:
    """Return the documented JSON event for one deal's new stage."""
    mentions = [m for m in deal["mentions"] if m["stage"] == deal["to_stage"]] or deal["mentions"]
    latest = mentions[-1] if mentions else {}
    return {
        "idempotency_key": f"{alert}:{key}",
        "alert": alert,
        "event": "new_deal" if deal["from_stage"] is None else "stage_change",
        "deal": {"country": deal["country"], "country_name": country_name(deal["country"]), "level": deal["level"],
                 "body": deal["body"], "partner": deal["partner"]},
        "stage": {"from": deal["from_stage"], "to": deal["to_stage"]},
        "evidence": clean_line(latest.get("evidence") or ""),
        "event_date": latest.get("event_date"),
        "links": list(dict.fromkeys(m["url"] for m in mentions)),
    }


def text_of(event: dict[str, Any]) -> str:
    """Return the event as one line of text (for chat formats)."""
    deal, stage = event["deal"], event["stage"]
    party = party_name(deal["country_name"], deal["body"])
    change = stage["to"] if stage["from"] is None else f"{stage['from']} → {stage['to']}"
    links = " ".join(event["links"][:3])
    return f"{party} – {deal['partner']}: {change}. {event['evidence']} {links}".strip()


def deliver(http: WebhookSender, alert: AlertSettings, deal: dict[str, Any], key: str) -> str | None:
    """Send one event the alert's way, retrying with backoff; return None when sent, else the last error."""
    if alert.smtp:
        smtp, message = alert.smtp, email_message(alert.name, alert.smtp, deal, key)
        return retried(alert, lambda: send_mail(smtp, message, alert.timeout))
    event = payload(alert.name, deal, key)
    return retried(alert, lambda: post(http, alert, event))


def retried(alert: AlertSettings, send: Callable[[], str | None]) -> str | None:
    """Call `send` until it succeeds (returns None), 1 + alert.retries times at most with growing waits; return the
    last error."""
    error = None
    for attempt in range(alert.retries + 1):
        if attempt:
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        error = send()
        if error is None:
            return None
    return error


def post(http: WebhookSender, alert: AlertSettings, event: dict[str, Any]) -> str | None:
    """POST one event in the alert's format, once; return None when accepted, else the error."""
    headers = {"Idempotency-Key": event["idempotency_key"]}
    if alert.format == "ntfy":
        return http.send(alert.url, alert.timeout, headers | {"Title": f"dealwatch: {event['deal']['partner']}"},
                         text=text_of(event))
    shaped = {"json": event, "slack": {"text": text_of(event)}, "discord": {"content": text_of(event)}}
    return http.send(alert.url, alert.timeout, headers, json_body=shaped[alert.format])


def email_message(alert: str, smtp: SmtpSettings, deal: dict[str, Any], key: str) -> EmailMessage:
    """Return the email of one deal's new stage: the digest's entry for it as plain text and HTML."""
    news = deal_news(deal)
    change = f"new deal ({news.stage})" if news.previous_stage is None else f"{news.previous_stage} → {news.stage}"
    footer = f"Sent by dealwatch for the alert '{alert}' (event {alert}:{key})."
    message = EmailMessage(policy=SMTP)
    message["Subject"] = f"dealwatch: {news.party} – {news.partner}: {change}"
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(f"{alert}:{key}", smtp.sender)
    message.set_content(f"{deal_text(news)}\n\n-- \n{footer}\n{PROJECT_URL}\n", cte="quoted-printable")
    message.add_alternative(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(str(message["Subject"]))}</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 42rem">
<div>{deal_html(news)}</div>
<p style="color: #555; font-size: .9rem">{html.escape(footer)}</p>
</body></html>
""", subtype="html")
    return message


def message_id(idempotency_key: str, sender: str) -> str:
    """Return the Message-ID of an event's email: the same for every attempt, so a copy is recognisable."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    domain = getaddresses([sender])[0][1].rpartition("@")[2]
    return f"<{digest}.dealwatch@{domain}>"
