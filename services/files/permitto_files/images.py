"""Checks of image bytes without decoding them: PNG structure (chunks, CRCs, size)."""

from __future__ import annotations

import struct
import zlib

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_problem(data: bytes, *, max_side: int = 4096) -> str | None:
    """Why these bytes are not a well-formed PNG, or None when they are."""
    if not data.startswith(PNG_MAGIC):
        return "is not a PNG image"
    offset = len(PNG_MAGIC)
    seen_ihdr = False
    while offset + 12 <= len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        end = offset + 12 + length
        if end > len(data):
            return "is a truncated PNG"
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return "is a corrupt PNG (bad chunk checksum)"
        if not seen_ihdr:
            if kind != b"IHDR" or length != 13:
                return "is a PNG without a header chunk"
            width, height = struct.unpack(">II", body[:8])
            if not (0 < width <= max_side and 0 < height <= max_side):
                return f"must be at most {max_side}×{max_side} pixels"
            seen_ihdr = True
        if kind == b"IEND":
            return None
        offset = end
    return "is a truncated PNG (no end chunk)"
