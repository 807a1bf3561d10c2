"""Hand email alerts to an SMTP server: TLS verified, the login read from the environment, errors as one line.

Each message gets its own connection, so one broken delivery never poisons the next. With
`security = "starttls"` the upgrade is required: a server that does not offer STARTTLS is a failure,
never a reason to go on in clear text.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage

from pipeline.config import SmtpSettings
from pipeline.normalise import clean_line

LOGGER = logging.getLogger(__name__)


def send_mail(smtp: SmtpSettings, message: EmailMessage, timeout: float) -> str | None:
    """Send one message; return None when the server accepted it, else a one-line reason."""
    login = None
    if smtp.username_env and smtp.password_env:
        missing = [name for name in (smtp.username_env, smtp.password_env) if not os.environ.get(name)]
        if missing:
            return f"environment variable {missing[0]} is not set (the SMTP login is read from it)"
        login = (os.environ[smtp.username_env], os.environ[smtp.password_env])
    try:
        context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
        client = (smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
                  if smtp.security == "ssl" else smtplib.SMTP(smtp.host, smtp.port, timeout=timeout))
        with client:
            if smtp.security == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    return (f"{smtp.host}:{smtp.port} does not offer STARTTLS "
                            '(security = "ssl" if it expects TLS at once)')
                client.starttls(context=context)
            if login:
                client.login(*login)
            refused = client.send_message(message)
        if refused:  # the others have it: sending again would double theirs
            LOGGER.warning("%s: refused by %s: %s", message["Message-ID"], smtp.host, ", ".join(sorted(refused)))
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return f"SMTP {code}: every recipient refused: {_text(text)}"
    except smtplib.SMTPResponseException as exc:
        return f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
    except (smtplib.SMTPException, OSError) as exc:
        # smtplib reports a silent server as a disconnection; the timeout underneath is the reason.
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            return f"TimeoutError: no answer within {timeout:g} s"
        return f"{type(exc).__name__}: {clean_line(str(exc)) or 'connection closed'}"
    return None


def _text(reply: bytes | str) -> str:
    return clean_line(reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)
