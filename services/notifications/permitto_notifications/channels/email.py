"""Email delivery: Resend's HTTP API in production, SMTP in development (the mail catcher) or any relay."""

from __future__ import annotations

import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import urllib3
from flask import Flask, current_app

from permitto_common.settings import Env

RESEND_DEFAULT_URL = "https://api.resend.com/emails"
_KEY = "permitto.email"


class DeliveryError(Exception):
    """The provider refused or could not be reached; the job retries with backoff."""


SUBJECT_LIMIT = 250


def one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Text made safe for a header: every run of white space or control characters (line breaks of
    any kind included) becomes one space, so no title can break the subject or inject a header."""
    cleaned = "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in text)
    collapsed = " ".join(cleaned.split())
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


class EmailBackend(Protocol):
    def send(self, email: Email) -> str:
        """Deliver one email; return the provider's message id."""


@dataclass
class SmtpBackend:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False

    def send(self, email: Email) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message_id = make_msgid(domain="permitto")
        message["Message-ID"] = message_id
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP delivery to {email.to} failed: {exc}") from exc
        return message_id


@dataclass
class ResendBackend:
    api_key: str
    sender: str
    url: str = RESEND_DEFAULT_URL

    def __post_init__(self) -> None:
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=15))

    def send(self, email: Email) -> str:
        payload = {"from": self.sender, "to": [email.to], "subject": email.subject, "text": email.text,
                   "html": email.html}
        try:
            response = self.http.request(
                "POST", self.url, body=json.dumps(payload).encode(),
                headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
            )
        except urllib3.exceptions.HTTPError as exc:
            raise DeliveryError(f"Resend could not be reached: {exc}") from exc
        if response.status >= 300:
            raise DeliveryError(f"Resend answered {response.status}: {response.data[:300]!r}")
        return str(json.loads(response.data).get("id", ""))


def backend_from_env(env: Env | None = None) -> EmailBackend:
    env = env or Env()
    sender = env.text("EMAIL_FROM", "Permitto <noreply@permitto.app>")
    env.require_one("RESEND_API_KEY", "SMTP_HOST")  # Resend in production, a relay (or the catcher) elsewhere
    api_key = env.optional("RESEND_API_KEY")
    if api_key:
        return ResendBackend(api_key=api_key, sender=sender, url=env.text("RESEND_API_URL", RESEND_DEFAULT_URL))
    host = env.text("SMTP_HOST")
    return SmtpBackend(host=host, port=env.integer("SMTP_PORT", 25), sender=sender,
                       username=env.optional("SMTP_USERNAME"), password=env.optional("SMTP_PASSWORD"),
                       starttls=env.flag("SMTP_STARTTLS", False))


def init_email(app: Flask, backend: EmailBackend) -> None:
    app.extensions[_KEY] = backend


def email_backend() -> EmailBackend:
    backend: EmailBackend = current_app.extensions[_KEY]
    return backend
