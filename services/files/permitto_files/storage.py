"""Object storage: Cloudflare R2 in production (endpoint from the account id), any S3 endpoint elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import boto3
from botocore.config import Config
from flask import Flask, current_app

from permitto_common.settings import ConfigError, Env

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
        endpoint = env.optional("S3_ENDPOINT_URL")
        account = env.optional("R2_ACCOUNT_ID")
        if endpoint is None:
            if account is None:
                raise ConfigError("environment variable R2_ACCOUNT_ID (or S3_ENDPOINT_URL) is required but not set")
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
