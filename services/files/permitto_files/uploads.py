"""Presigned uploads and their confirmation, listing, downloads and deletion of a permit's files."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any, NotRequired

from flask import current_app
from sqlalchemy import func, select, text
from typing_extensions import TypedDict  # pydantic reads typed dicts from here on Python 3.11

from permitto_common.database import utcnow
from permitto_common.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from permitto_common.jobs import QUEUE_FILES, QUEUE_PERMITS, enqueue
from permitto_common.security import COORDINATOR, ISSUER, RECEIVER, Identity

from . import storage
from .content import (
    ALLOWED_TYPES,
    IMAGE_TYPES,
    MAX_FILE_BYTES,
    MAX_FILES_PER_PERMIT,
    display_name,
    sniff,
    storage_name,
)
from .extensions import db
from .models import StoredFile, Upload
from .permits_client import DELETE_STATES, UPLOAD_STATES, permit_for

log = logging.getLogger(__name__)
UPLOADER_ROLES = {RECEIVER, ISSUER, COORDINATOR}


def _live_count(permit_id: uuid.UUID) -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile).where(
        StoredFile.permit_id == permit_id, StoredFile.deleted_at.is_(None))) or 0


def _audit(permit_id: uuid.UUID, action: str, identity: Identity, **details: Any) -> None:
    """The permit's audit trail belongs to the permits service: hand it the entry as a job (retried)."""
    enqueue(current_app, QUEUE_PERMITS, "permitto_permits.jobs.record_audit", kwargs={
        "permit_id": str(permit_id), "action": action, "actor_id": identity.user_id, "actor_role": identity.role,
        "details": details, "event_id": str(uuid.uuid4()),
    })


def request_upload(identity: Identity, *, permit_id: uuid.UUID, name: str, content_type: str,
                   size: int) -> UploadTicket:
    if identity.role not in UPLOADER_ROLES:
        raise Forbidden("Your role does not upload files to permits.")
    permit = permit_for(permit_id, identity.user_id, identity.role)
    if permit.status not in UPLOAD_STATES:
        raise Conflict(f"The permit is {permit.status}; no files can be added to it.")
    problems = []
    if content_type not in ALLOWED_TYPES:
        problems.append(field_error("contentType", "must be one of " + ", ".join(sorted(ALLOWED_TYPES))))
    if size > MAX_FILE_BYTES:
        problems.append(field_error("size", f"must be at most {MAX_FILE_BYTES // (1024 * 1024)} MB"))
    if problems:
        raise ValidationFailed(problems)
    if _live_count(permit_id) >= MAX_FILES_PER_PERMIT:
        raise Conflict(f"A permit holds at most {MAX_FILES_PER_PERMIT} files.",
                       details=[field_error("permitId", f"already has {MAX_FILES_PER_PERMIT} files")])
    upload_id = uuid.uuid4()
    name = display_name(name)
    upload = Upload(id=upload_id, permit_id=permit_id, uploader_id=uuid.UUID(identity.user_id),
                    uploader_role=identity.role, name=name, content_type=content_type, declared_size=size,
                    key=f"temp/{upload_id}/{storage_name(name)}",
                    expires_at=utcnow() + timedelta(seconds=storage.UPLOAD_URL_SECONDS))
    db.session.add(upload)
    db.session.commit()
    return {"uploadId": str(upload.id), "key": upload.key, "method": "PUT",
            "url": storage.presigned_put(upload.key, content_type), "headers": {"Content-Type": content_type},
            "expiresAt": upload.expires_at.isoformat(), "maxBytes": MAX_FILE_BYTES}


def _refuse(upload: Upload, reason: str, field: str = "file") -> ValidationFailed:
    storage.delete(upload.key)
    upload.status, upload.reason = "REJECTED", reason
    db.session.commit()
    return ValidationFailed([field_error(field, reason)], "The uploaded file was refused and removed.")


def confirm(identity: Identity, upload_id: uuid.UUID) -> StoredFile:
    upload = db.session.get(Upload, upload_id, with_for_update=True)
    if upload is None or str(upload.uploader_id) != identity.user_id:
        raise NotFound("No such upload.")
    if upload.status != "PENDING":
        raise Conflict(f"This upload is {upload.status.lower()} already.")
    meta = storage.head(upload.key)
    if meta is None:
        raise ValidationFailed([field_error("uploadId", "nothing was uploaded to the URL yet")])
    size = int(meta["ContentLength"])
    if size == 0:
        raise _refuse(upload, "the file is empty")
    if size > MAX_FILE_BYTES:
        raise _refuse(upload, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if size != upload.declared_size:
        raise _refuse(upload, f"the file has {size} bytes, not the {upload.declared_size} declared")
    actual = sniff(storage.first_bytes(upload.key))
    if actual != upload.content_type:
        raise _refuse(upload, f"the content is {actual or 'not an allowed type'}, not {upload.content_type}")

    # Two confirms racing for the tenth place: one lock per permit makes the count and insert atomic.
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:permit))"), {"permit": str(upload.permit_id)})
    if _live_count(upload.permit_id) >= MAX_FILES_PER_PERMIT:
        raise _refuse(upload, f"the permit already has {MAX_FILES_PER_PERMIT} files", field="permitId")
    file_id = uuid.uuid4()
    final_key = f"documents/{upload.permit_id}/{file_id}-{storage_name(upload.name)}"
    storage.move(upload.key, final_key)
    stored = StoredFile(id=file_id, permit_id=upload.permit_id, uploader_id=upload.uploader_id, name=upload.name,
                        content_type=upload.content_type, size=size, key=final_key)
    db.session.add(stored)
    upload.status, upload.file_id = "CONFIRMED", file_id
    db.session.commit()
    if stored.content_type in IMAGE_TYPES:
        enqueue(current_app, QUEUE_FILES, "permitto_files.jobs.make_thumbnail", kwargs={"file_id": str(file_id)})
    _audit(stored.permit_id, "file_uploaded", identity, fileId=str(file_id), name=stored.name, size=size,
           contentType=stored.content_type)
    return stored


def visible_file(identity: Identity, file_id: uuid.UUID) -> StoredFile:
    stored = db.session.get(StoredFile, file_id)
    if stored is None or stored.deleted_at is not None:
        raise NotFound("No such file.")
    try:
        permit_for(stored.permit_id, identity.user_id, identity.role)
    except NotFound:
        raise NotFound("No such file.") from None  # someone else's file does not exist for you
    return stored


def list_files(identity: Identity, permit_id: uuid.UUID) -> list[StoredFile]:
    permit_for(permit_id, identity.user_id, identity.role)
    return list(db.session.scalars(select(StoredFile).where(
        StoredFile.permit_id == permit_id, StoredFile.deleted_at.is_(None)).order_by(StoredFile.created_at)))


def delete_file(identity: Identity, file_id: uuid.UUID) -> StoredFile:
    stored = visible_file(identity, file_id)
    if str(stored.uploader_id) != identity.user_id and identity.role != COORDINATOR:
        raise Forbidden("Only the uploader or a coordinator removes a file.")
    permit = permit_for(stored.permit_id, identity.user_id, identity.role)
    if permit.status not in DELETE_STATES:
        raise Conflict(f"The permit is {permit.status}: its files are archived and cannot be deleted.")
    stored.deleted_at, stored.deleted_by = utcnow(), uuid.UUID(identity.user_id)
    db.session.commit()
    storage.delete(stored.key)
    if stored.thumbnail_key:
        storage.delete(stored.thumbnail_key)
    _audit(stored.permit_id, "file_deleted", identity, fileId=str(stored.id), name=stored.name)
    return stored


class FileOut(TypedDict):
    id: str
    permitId: str
    name: str
    contentType: str
    size: int
    uploaderId: str
    createdAt: str
    thumbnailReady: bool
    downloadUrl: NotRequired[str]
    downloadUrlExpiresIn: NotRequired[int]
    thumbnailUrl: NotRequired[str]


class UploadTicket(TypedDict):
    uploadId: str
    key: str
    method: str
    url: str
    headers: dict[str, str]
    expiresAt: str
    maxBytes: int


def file_out(stored: StoredFile, *, with_urls: bool) -> FileOut:
    out: FileOut = {
        "id": str(stored.id), "permitId": str(stored.permit_id), "name": stored.name,
        "contentType": stored.content_type, "size": stored.size, "uploaderId": str(stored.uploader_id),
        "createdAt": stored.created_at.isoformat(), "thumbnailReady": stored.thumbnail_ready_at is not None,
    }
    if with_urls:
        out["downloadUrl"] = storage.presigned_get(stored.key, filename=stored.name)
        out["downloadUrlExpiresIn"] = storage.DOWNLOAD_URL_SECONDS
        if stored.thumbnail_key:
            out["thumbnailUrl"] = storage.presigned_get(stored.thumbnail_key)
    return out
