"""Object storage: Cloudflare R2 in production (endpoint from the account id), any S3 endpoint elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

import boto3
from botocore.config import Config
from flask import Flask, current_app

from permitto_common.settings import Env

from .content import storage_name

_KEY = "permitto.storage"


@dataclass(frozen=True)
class StorageSettings:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    bucket: str
    region: str

    @classmethod
    def from_env(cls, env: Env | None = None) -> StorageSettings:
        env = env or Env()
        env.require_one("R2_ACCOUNT_ID", "S3_ENDPOINT_URL")
        endpoint = env.optional("S3_ENDPOINT_URL")
        account = env.optional("R2_ACCOUNT_ID")
        if endpoint is None:
            endpoint = f"https://{account}.r2.cloudflarestorage.com"
        return cls(
            endpoint_url=endpoint,
            access_key_id=env.text("R2_ACCESS_KEY_ID"),
            secret_access_key=env.text("R2_SECRET_ACCESS_KEY"),
            bucket=env.text("R2_BUCKET_NAME"),
            # R2 wants "auto"; S3 servers used in development (moto, MinIO) want a real region.
            region=env.text("S3_REGION", "auto" if account and not env.optional("S3_ENDPOINT_URL") else "us-east-1"),
        )


def init_storage(app: Flask, settings: StorageSettings) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        region_name=settings.region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      connect_timeout=3, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}),
    )
    app.extensions[_KEY] = (client, settings)


def storage_client(app: Flask | None = None) -> Any:
    return cast(tuple[Any, StorageSettings], (app or current_app).extensions[_KEY])[0]


def storage_settings(app: Flask | None = None) -> StorageSettings:
    return cast(tuple[Any, StorageSettings], (app or current_app).extensions[_KEY])[1]


def check_bucket(app: Flask) -> None:
    storage_client(app).head_bucket(Bucket=storage_settings(app).bucket)


UPLOAD_URL_SECONDS = 10 * 60
DOWNLOAD_URL_SECONDS = 5 * 60


def presigned_put(key: str, content_type: str) -> str:
    """A PUT URL with the content type signed in (R2 has no presigned POST, so no size condition)."""
    url: str = storage_client().generate_presigned_url(
        "put_object", Params={"Bucket": storage_settings().bucket, "Key": key, "ContentType": content_type},
        ExpiresIn=UPLOAD_URL_SECONDS,
    )
    return url


def presigned_get(key: str, *, filename: str | None = None) -> str:
    params: dict[str, Any] = {"Bucket": storage_settings().bucket, "Key": key}
    if filename:
        # RFC 6266: an ASCII fallback for old clients, then the real name in UTF-8 for every other.
        fallback = storage_name(filename).replace('"', "")
        params["ResponseContentDisposition"] = f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    url: str = storage_client().generate_presigned_url("get_object", Params=params, ExpiresIn=DOWNLOAD_URL_SECONDS)
    return url


def head(key: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        result: dict[str, Any] = storage_client().head_object(Bucket=storage_settings().bucket, Key=key)
        return result
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def first_bytes(key: str, count: int = 512) -> bytes:
    body = storage_client().get_object(Bucket=storage_settings().bucket, Key=key, Range=f"bytes=0-{count - 1}")
    data: bytes = body["Body"].read()
    return data


def read(key: str) -> bytes:
    data: bytes = storage_client().get_object(Bucket=storage_settings().bucket, Key=key)["Body"].read()
    return data


def put(key: str, data: bytes, content_type: str) -> None:
    storage_client().put_object(Bucket=storage_settings().bucket, Key=key, Body=data, ContentType=content_type)


def move(source: str, target: str) -> None:
    bucket = storage_settings().bucket
    storage_client().copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": source})
    storage_client().delete_object(Bucket=bucket, Key=source)


def delete(key: str) -> None:
    storage_client().delete_object(Bucket=storage_settings().bucket, Key=key)


def keys_under(prefix: str) -> list[tuple[str, Any]]:
    """(key, last modified) of every object under a prefix."""
    found = []
    paginator = storage_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=storage_settings().bucket, Prefix=prefix):
        found += [(item["Key"], item["LastModified"]) for item in page.get("Contents", [])]
    return found
