"""A real SMTP server (aiosmtpd) on loopback for tests that send e-mail: the `smtp` fixture points the app's
MAIL_* settings at it for one test and collects what arrives."""
from __future__ import annotations

import email
import email.policy
import socket
import threading

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpInbox:
    """An aiosmtpd handler that keeps what it receives, or answers with a chosen refusal."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_with: str | None = None  # e.g. "451 4.3.0 try again later" or "550 5.1.1 no such user"
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, timeout: float = 20.0) -> email.message.EmailMessage:
        with self.arrived:
            if not self.arrived.wait_for(lambda: self.to(address), timeout):
                raise AssertionError(f"no mail to {address} arrived")
        return self.to(address)[-1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server for this test; the app sends its e-mail there."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "career@demo-university.edu.cn")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://career.demo-university.edu.cn")
    inbox.port = port
    yield inbox
    controller.stop()
