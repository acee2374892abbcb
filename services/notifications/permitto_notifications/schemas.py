"""Request bodies and queries of the notifications API and the shapes it answers with."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypedDict  # pydantic reads typed dicts from here on Python 3.11

from permitto_common.pagination import PageQuery

from .inbox import WHAT
from .models import Notification, Preference


class ListQuery(PageQuery):
    unread: bool | None = None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: uuid.UUID
    type: str = Field(min_length=3, max_length=40)
    occurredAt: str
    permitId: uuid.UUID | None = None


class EventsBody(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=500)


class ChannelChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: bool | None = None
    push: bool | None = None


class PreferencesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    emailEnabled: bool | None = None
    pushEnabled: bool | None = None
    dailyDigest: bool | None = None
    perEvent: dict[str, ChannelChoice] | None = Field(
        None, description="per event type (" + ", ".join(WHAT) + "), email and/or push on or off; "
                          "replaces the saved overrides")

    @field_validator("perEvent")
    @classmethod
    def _known_events(cls, value: dict[str, ChannelChoice] | None) -> dict[str, ChannelChoice] | None:
        unknown = sorted(set(value or {}) - set(WHAT))
        if unknown:
            raise ValueError(f"unknown event type(s): {', '.join(unknown)[:200]}")
        return value


class PushKeys(BaseModel):
    # base64url, as browsers give them (PushSubscription.toJSON)
    p256dh: str = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_\-]+=*$")
    auth: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-]+=*$")


class PushSubscriptionBody(BaseModel):
    model_config = ConfigDict(extra="ignore")  # browsers add expirationTime and more
    endpoint: str = Field(pattern=r"^https?://", max_length=1000)
    keys: PushKeys


# Answers: typed dicts the views build, checked by mypy and published in the OpenAPI document.
class NotificationOut(TypedDict):
    id: str
    type: str
    title: str
    body: str
    link: str | None
    permitId: str | None
    createdAt: str
    readAt: str | None


class PreferencesOut(TypedDict):
    emailEnabled: bool
    pushEnabled: bool
    dailyDigest: bool
    perEvent: dict[str, dict[str, bool]]


class FailedEmail(TypedDict):
    id: str
    to: str
    subject: str
    attempts: int
    lastError: str | None
    createdAt: str


class Marked(TypedDict):
    marked: int


class RetryQueued(TypedDict):
    id: str
    status: str


class PublicKey(TypedDict):
    publicKey: str


class Subscribed(TypedDict):
    subscribed: bool


def notification_out(n: Notification) -> NotificationOut:
    return {"id": str(n.id), "type": n.type, "title": n.title, "body": n.body, "link": n.link,
            "permitId": str(n.permit_id) if n.permit_id else None, "createdAt": n.created_at.isoformat(),
            "readAt": n.read_at.isoformat() if n.read_at else None}


def preferences_out(preference: Preference | None) -> PreferencesOut:
    if preference is None:
        return {"emailEnabled": True, "pushEnabled": False, "dailyDigest": False, "perEvent": {}}
    return {"emailEnabled": preference.email_enabled, "pushEnabled": preference.push_enabled,
            "dailyDigest": preference.daily_digest, "perEvent": preference.per_event or {}}


