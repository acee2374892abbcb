"""What a file really is: its type from its first bytes (never the name or the declared type),
and a safe name to store it under."""

from __future__ import annotations

import re
import unicodedata

ALLOWED_TYPES = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/heic": (".heic", ".heif"),
}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/heic"}
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_FILES_PER_PERMIT = 10
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def sniff(head: bytes) -> str | None:
    """The content type the leading bytes prove, among the allowed ones; None otherwise."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[0:4], "big")
        brands = [head[8:12]] + [head[i:i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)]
        if any(brand in HEIC_BRANDS for brand in brands):
            return "image/heic"
    return None


MAX_NAME = 120


def display_name(name: str) -> str:
    """The name the user gave, as shown and downloaded: no path, no control or format characters
    (a right-to-left override could disguise an extension), letters of every script kept."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    return _shorten(name or "file", MAX_NAME)


_NOT_KEY_SAFE = re.compile(r"[^A-Za-z0-9.\-]+")


def storage_name(name: str) -> str:
    """The same name as the tail of a storage key and a download's ASCII fallback: ASCII letters,
    digits, dots and dashes only (accents folded where they can be, the rest one underscore)."""
    ascii_only = "".join(ch if ch.isascii() else "" if unicodedata.combining(ch) else "_"
                         for ch in unicodedata.normalize("NFKD", display_name(name)))
    stem, dot, ext = ascii_only.rpartition(".")
    stem, ext = (stem, ext) if dot else (ascii_only, "")
    stem = _NOT_KEY_SAFE.sub("_", stem).strip("_.") or "file"
    ext = _NOT_KEY_SAFE.sub("", ext)[:10]
    return _shorten(stem + ("." + ext if ext else ""), 100)


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) < 12:
        return stem[: limit - len(ext) - 1] + "." + ext
    return name[:limit]
