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


_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def safe_name(name: str) -> str:
    """No path, no control characters, no leading dots; letters of any script are kept."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    name = re.sub(r"_+", "_", name)
    if not name:
        name = "file"
    stem, dot, ext = name.rpartition(".")
    if dot and len(name) > 120:
        name = stem[: 120 - len(ext) - 1] + "." + ext
    return name[:120]
