"""Request bodies and queries of the auth API (camelCase on the wire) and the shapes it returns."""

from __future__ import annotations

import uuid
from typing import Literal, NotRequired, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import ConfigDict, EmailStr, Field, field_validator
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict  # pydantic reads typed dicts from here on Python 3.11

from permitto_common.pagination import PageQuery
from permitto_common.security import ROLES
from permitto_common.validation import Body

from .models import Project, User

Role = Literal[ROLES]  # type: ignore[valid-type]


class LoginBody(Body):
    # Not validated as an address: a malformed one is simply a wrong login, answered the same way.
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class RefreshBody(Body):
    refresh_token: str | None = Field(None, min_length=20, max_length=200)


class ForgotPasswordBody(Body):
    email: EmailStr


class ResetPasswordBody(Body):
    token: str = Field(min_length=20, max_length=200)
    password: str = Field(max_length=256)


class ChangePasswordBody(Body):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(max_length=256)


class SessionCheckBody(Body):
    user_id: str = Field(max_length=64)
    session_id: str = Field(max_length=64)


class CreateUserBody(Body):
    email: EmailStr
    name: str = Field(min_length=2, max_length=120)
    role: Role
    project_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class UpdateUserBody(Body):
    name: str | None = Field(None, min_length=2, max_length=120)
    email: EmailStr | None = None
    role: Role | None = None
    is_active: bool | None = None


class UserQuery(PageQuery):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    role: Role | None = None
    project_id: uuid.UUID | None = None
    active: bool | None = None
    q: str | None = Field(None, min_length=1, max_length=100)


GRACE_HELP = ("minutes after work may first start under a newly approved permit (its work start, or the "
              "approval if later) before the first day's confirmations are due")


def _valid_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Europe/London") from None
    if value not in available_timezones() and value != "UTC":
        raise ValueError("must be an IANA time zone such as Europe/London")
    return value


class CreateProjectBody(Body):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,19}$", description="upper case, 2-20 characters")
    name: str = Field(min_length=2, max_length=200)
    timezone: str = Field("UTC", max_length=64)
    is_active: bool = True
    first_day_grace_minutes: int = Field(60, ge=0, le=480, description=GRACE_HELP)

    _tz = field_validator("timezone")(_valid_timezone)


class UpdateProjectBody(Body):
    name: str | None = Field(None, min_length=2, max_length=200)
    timezone: str | None = Field(None, max_length=64)
    is_active: bool | None = None
    first_day_grace_minutes: int | None = Field(None, ge=0, le=480, description=GRACE_HELP)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _valid_timezone(value)


class ProjectQuery(PageQuery):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    active: bool | None = None


class AssignBody(Body):
    user_id: uuid.UUID


# Answers: typed dicts the views build, checked by mypy and published in the OpenAPI document.
class UserOut(TypedDict):
    id: str
    email: str
    name: str
    role: Role
    isActive: bool
    hasPassword: bool
    createdAt: str


class ProjectOut(TypedDict):
    id: str
    code: str
    name: str
    timezone: str
    isActive: bool
    firstDayGraceMinutes: int
    createdAt: str


class MeOut(UserOut):
    projects: list[ProjectOut]


class MemberOut(UserOut):
    assignedAt: str
    assignedBy: str | None


class AssignmentOut(TypedDict):
    projectId: str
    userId: str
    assignedBy: NotRequired[str | None]
    assignedAt: NotRequired[str]
    assigned: NotRequired[bool]


class TokensOut(TypedDict):
    """Bearer mode answers the tokens; cookie mode (X-Auth-Mode: cookie) only expiresIn and the user."""

    expiresIn: int
    user: UserOut
    accessToken: NotRequired[str]
    refreshToken: NotRequired[str]
    tokenType: NotRequired[Literal["Bearer"]]


class MessageOut(TypedDict):
    message: str


class LoggedOut(TypedDict):
    loggedOut: bool


class JsonWebKey(TypedDict):
    kty: str
    alg: str
    use: str
    n: str
    e: str


class JwksOut(TypedDict):
    keys: list[JsonWebKey]


def user_out(user: User) -> UserOut:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": cast(Role, user.role),
        "isActive": user.is_active,
        "hasPassword": user.password_hash is not None,
        "createdAt": user.created_at.isoformat(),
    }


def project_out(project: Project) -> ProjectOut:
    return {
        "id": str(project.id),
        "code": project.code,
        "name": project.name,
        "timezone": project.timezone,
        "isActive": project.is_active,
        "firstDayGraceMinutes": project.first_day_grace_minutes,
        "createdAt": project.created_at.isoformat(),
    }
