"""Uploads in flight, stored files, and signature images of permits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from permitto_common.database import utcnow

from .extensions import db


class Upload(db.Model):  # type: ignore[name-defined,misc]
    """A presigned upload the client was given; confirmed (or refused, or expired) later."""

    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint("status IN ('PENDING','CONFIRMED','REJECTED','EXPIRED')", name="status"),
        Index("ix_uploads_pending_created", "created_at", postgresql_where="status = 'PENDING'"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    uploader_id: Mapped[uuid.UUID]
    uploader_role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(10), default="PENDING")
    reason: Mapped[str | None] = mapped_column(String(300))
    file_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class StoredFile(db.Model):  # type: ignore[name-defined,misc]
    """A confirmed document of a permit. After approval it is archived, never deleted."""

    __tablename__ = "files"
    __table_args__ = (Index("ix_files_permit_live", "permit_id", postgresql_where="deleted_at IS NULL"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    uploader_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(400))
    thumbnail_ready_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[uuid.UUID | None]


class SignatureImage(db.Model):  # type: ignore[name-defined,misc]
    """A drawn signature stored for a permit; immutable (no update or delete path exists)."""

    __tablename__ = "signature_images"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID | None]
    role: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(400), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
