"""Sending e-mail through an SMTP server (no Flask). The caller builds the message; this module speaks SMTP
and sorts failures into those worth retrying and those that never will work."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False       # STARTTLS on a plain connection (port 587)
    ssl: bool = False            # TLS from the first byte (port 465)
    timeout_s: float = 30.0
    sender: str = "noreply@localhost"
    sender_name: str | None = None


class MailTemporaryError(Exception):
    """The server could not take the message now (unreachable, 4xx): try again later."""


class MailRefused(Exception):
    """The server refused the message or its recipient for good (5xx)."""


def build_message(settings: SmtpSettings, to: str, subject: str, text: str, html: str | None,
                  message_id: str, headers: dict[str, str] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender)) if settings.sender_name else settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # Stable per notification and channel: a copy sent again after a worker died mid-send carries the same
    # id, which mail systems use to show it once.
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to this
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server."""
    try:
        if settings.ssl:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        with client:
            if settings.starttls:
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, settings.password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as err:  # our settings, not this message: worth retrying once fixed
        raise MailTemporaryError(f"SMTP login refused: {err.smtp_code} {err.smtp_error!r}") from err
    except smtplib.SMTPRecipientsRefused as err:
        codes = [code for code, _msg in err.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            raise MailTemporaryError(f"recipient deferred: {err.recipients}") from err
        raise MailRefused(f"recipient refused: {err.recipients}") from err
    except smtplib.SMTPResponseException as err:
        if 400 <= err.smtp_code < 500:
            raise MailTemporaryError(f"{err.smtp_code} {err.smtp_error!r}") from err
        raise MailRefused(f"{err.smtp_code} {err.smtp_error!r}") from err
    except (smtplib.SMTPException, OSError) as err:  # connection refused, timeout, TLS trouble, dropped
        raise MailTemporaryError(f"{type(err).__name__}: {err}") from err
