"""HTTP views of the files service: the public API and the internal endpoints for other services."""

from __future__ import annotations

import uuid
from typing import Literal

from flask import Blueprint, Flask, Response, request
from pydantic import Field
from typing_extensions import TypedDict  # pydantic reads typed dicts from here on Python 3.11

from permitto_common.errors import NotFound, ValidationFailed, field_error, success
from permitto_common.openapi import documented
from permitto_common.security import COORDINATOR, ISSUER, RECEIVER, current_identity, require_auth, require_internal
from permitto_common.validation import Body, parse_body, parse_query

from . import owned_uploads, storage, uploads
from .extensions import db
from .models import SignatureImage, StoredFile
from .permits_client import permit_for
from .signatures import SignatureOut, signature_out, store_signature
from .uploads import FileOut, UploadTicket

public = Blueprint("files", __name__, url_prefix="/api/v1")
internal = Blueprint("internal", __name__, url_prefix="/internal")


class FileDeleted(TypedDict):
    id: str
    deleted: bool


class UploadUrlBody(Body):
    permitId: uuid.UUID
    fileName: str = Field(min_length=1, max_length=255)
    contentType: str = Field(min_length=3, max_length=100)
    size: int = Field(gt=0, description="bytes; checked again against the object at confirm")


class ConfirmBody(Body):
    uploadId: uuid.UUID


class FilesQuery(Body):
    permitId: uuid.UUID


class PublicSignatureBody(Body):
    permitId: uuid.UUID
    imageBase64: str = Field(min_length=1, max_length=800_000)


class SignatureBody(PublicSignatureBody):
    # The three roles, and the people a permit names who need not be users: crew and the fire watch.
    role: Literal[RECEIVER, ISSUER, COORDINATOR, "CREW", "FIRE_WATCH"]  # type: ignore[valid-type]
    userId: uuid.UUID | None = None


@public.post("/files/upload-url")
@documented("A presigned URL to PUT one file to (10 minutes)", body=UploadUrlBody, response=UploadTicket, status=201)
@require_auth()
def upload_url() -> Response:
    body = parse_body(UploadUrlBody)
    return success(uploads.request_upload(current_identity(), permit_id=body.permitId, name=body.fileName,
                                          content_type=body.contentType, size=body.size), status=201)


@public.post("/files/confirm")
@documented("Confirm an upload: size and content are checked, then the file is attached",
            body=ConfirmBody, response=FileOut, status=201)
@require_auth()
def confirm() -> Response:
    stored = uploads.confirm(current_identity(), parse_body(ConfirmBody).uploadId)
    return success(uploads.file_out(stored, with_urls=True), status=201)


@public.get("/files")
@documented("The files of a permit, with short-lived download and thumbnail links", query=FilesQuery,
            response=list[FileOut])
@require_auth()
def list_files() -> Response:
    query = parse_query(FilesQuery)
    return success([uploads.file_out(f, with_urls=True) for f in uploads.list_files(current_identity(),
                                                                                      query.permitId)])


@public.get("/permits/<uuid:permit_id>/files")
@documented("The files of a permit, with short-lived download and thumbnail links", response=list[FileOut])
@require_auth()
def permit_files(permit_id: uuid.UUID) -> Response:
    # The permit page shows thumbnails at once: presigning is a local signature, ten files at most.
    return success([uploads.file_out(f, with_urls=True) for f in uploads.list_files(current_identity(), permit_id)])


@public.get("/files/<uuid:file_id>")
@documented("A file with a short-lived download link", response=FileOut)
@require_auth()
def get_file(file_id: uuid.UUID) -> Response:
    return success(uploads.file_out(uploads.visible_file(current_identity(), file_id), with_urls=True))


@public.delete("/files/<uuid:file_id>")
@documented("Delete a file (until the permit is approved)", response=FileDeleted)
@require_auth()
def delete_file(file_id: uuid.UUID) -> Response:
    stored = uploads.delete_file(current_identity(), file_id)
    answer: FileDeleted = {"id": str(stored.id), "deleted": True}
    return success(answer)


@public.post("/files/signatures")
@documented("Store a drawn signature ahead of an approval", body=PublicSignatureBody, response=SignatureOut, status=201)
@require_auth(RECEIVER, ISSUER, COORDINATOR)
def create_signature() -> Response:
    """Store a drawn signature ahead of an approval; the approval then names it by id."""
    identity = current_identity()
    body = parse_body(PublicSignatureBody)
    permit_for(body.permitId, identity.user_id, identity.role)
    return success(store_signature(body.permitId, identity.role, body.imageBase64,
                                   user_id=uuid.UUID(identity.user_id)), status=201)


@internal.post("/signatures")
@require_internal
def create_signature_internal() -> Response:
    body = parse_body(SignatureBody)
    return success(store_signature(body.permitId, body.role, body.imageBase64, user_id=body.userId), status=201)


@internal.get("/signatures/<uuid:signature_id>")
@require_internal
def get_signature(signature_id: uuid.UUID) -> Response:
    record = db.session.get(SignatureImage, signature_id)
    if record is None:
        raise NotFound("No such signature.")
    return success(signature_out(record))


@internal.get("/signature-images")
@require_internal
def signature_image_by_key() -> Response:
    """A signature's PNG by its storage key (what the permits service recorded)."""
    key = request.args.get("key", "")
    record = db.session.scalar(db.select(SignatureImage).where(SignatureImage.key == key))
    if record is None:
        raise NotFound("No such signature.")
    return Response(storage.read(record.key), mimetype="image/png")


@internal.get("/permits/<uuid:permit_id>/files")
@require_internal
def permit_files_internal(permit_id: uuid.UUID) -> Response:
    files = db.session.scalars(db.select(StoredFile).where(StoredFile.permit_id == permit_id,
                                                           StoredFile.deleted_at.is_(None))
                               .order_by(StoredFile.created_at)).all()
    return success([uploads.file_out(f, with_urls=False) for f in files])


@internal.put("/documents/<uuid:permit_id>/<string:kind>")
@require_internal
def store_document(permit_id: uuid.UUID, kind: str) -> Response:
    """System documents (the permit PDF): stored under pdfs/{permitId}/ as given, replaced on regeneration."""
    if kind != "pdf":
        raise NotFound("Only PDF documents are stored this way.")
    name = request.args.get("name", "")
    data = request.get_data()
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed([field_error("body", "must be a PDF")])
    if not name or "/" in name or not name.endswith(".pdf"):
        raise ValidationFailed([field_error("name", "a file name ending in .pdf")])
    key = f"pdfs/{permit_id}/{name}"
    storage.put(key, data, "application/pdf")
    return success({"key": key, "size": len(data), "url": storage.presigned_get(key, filename=name),
                    "urlExpiresIn": storage.DOWNLOAD_URL_SECONDS}, status=201)


@internal.get("/documents/<uuid:permit_id>/<string:name>")
@require_internal
def document_link(permit_id: uuid.UUID, name: str) -> Response:
    key = f"pdfs/{permit_id}/{name}"
    meta = storage.head(key)
    if meta is None:
        raise NotFound("No such document.")
    return success({"key": key, "size": int(meta["ContentLength"]),
                    "lastModified": meta["LastModified"].isoformat(),
                    "url": storage.presigned_get(key, filename=name), "urlExpiresIn": storage.DOWNLOAD_URL_SECONDS})


class PlanTicketBody(Body):
    contentType: str = Field(min_length=3, max_length=100)
    size: int


class PlanKeyBody(Body):
    key: str = Field(min_length=10, max_length=400)


# The kinds' routes: /internal/site-plans/<project id>/... and /internal/evidence/<user id>/...
@internal.post("/<any('site-plans', 'evidence'):kind>/<uuid:owner_id>/upload-url")
@require_internal
def owned_upload(kind: str, owner_id: uuid.UUID) -> Response:
    body = parse_body(PlanTicketBody)
    return success(owned_uploads.upload_ticket(owned_uploads.KINDS[kind], owner_id, body.contentType, body.size),
                   status=201)


@internal.post("/<any('site-plans', 'evidence'):kind>/<uuid:owner_id>/confirm")
@require_internal
def owned_confirm(kind: str, owner_id: uuid.UUID) -> Response:
    return success(owned_uploads.check(owned_uploads.KINDS[kind], owner_id, parse_body(PlanKeyBody).key))


@internal.get("/<any('site-plans', 'evidence'):kind>/link")
@require_internal
def owned_link(kind: str) -> Response:
    return success(owned_uploads.link(owned_uploads.KINDS[kind], request.args.get("key", "")))


def register_views(app: Flask) -> None:
    app.register_blueprint(public)
    app.register_blueprint(internal)
