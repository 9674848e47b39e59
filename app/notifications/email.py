"""The e-mail channel: the user's e-mail address, SMTP settings from the app config (MAIL_*)."""
from __future__ import annotations

from flask import current_app

from app.notifications.channels import (
    Channel, OutgoingMessage, PermanentFailure, Recipient, TemporaryFailure,
)
from integrations import mail


class EmailChannel(Channel):
    def available(self) -> bool:
        return bool(current_app.config.get("MAIL_SERVER"))

    def address(self, recipient: Recipient) -> str | None:
        email = (recipient.email or "").strip()
        return email if "@" in email else None

    def settings(self) -> mail.SmtpSettings:
        c = current_app.config
        return mail.SmtpSettings(
            host=c["MAIL_SERVER"], port=int(c.get("MAIL_PORT", 25)), username=c.get("MAIL_USERNAME"),
            password=c.get("MAIL_PASSWORD"), starttls=bool(c.get("MAIL_USE_TLS")), ssl=bool(c.get("MAIL_USE_SSL")),
            timeout_s=float(c.get("MAIL_TIMEOUT_S", 30)), sender=c.get("MAIL_FROM") or "noreply@localhost",
            sender_name=c.get("MAIL_FROM_NAME"))

    def send(self, message: OutgoingMessage) -> None:
        settings = self.settings()
        domain = settings.sender.rpartition("@")[2] or "localhost"
        context = {"message": message, "university": current_app.config.get("UNIVERSITY_NAME"),
                   "office": current_app.config.get("UNIVERSITY_OFFICE")}
        # The templates alone, without the site's context processors: a worker has no request or signed-in user.
        env = current_app.jinja_env
        email = mail.build_message(
            settings, message.address, message.title,
            env.get_template("notifications/email.txt").render(**context),
            env.get_template("notifications/email.html").render(**context),
            message_id=f"<notification-{message.delivery_id}@{domain}>")
        try:
            mail.send(settings, email)
        except mail.MailTemporaryError as err:
            raise TemporaryFailure(str(err)) from err
        except mail.MailRefused as err:
            raise PermanentFailure(str(err)) from err
