"""Small real images for tests and demo data, made without an imaging library."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width: int = 120, height: int = 40, stroke: int = 0) -> bytes:
    """A valid greyscale PNG: white, with a dark diagonal 'signature' stroke."""
    rows = []
    for y in range(height):
        row = bytearray([255] * width)
        for x in range(width):
            if abs((x * height) // max(width, 1) - y) <= 1 + stroke % 2:
                row[x] = 20
        rows.append(b"\x00" + bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + _chunk(b"IEND", b""))


def png_base64(**kwargs: int) -> str:
    import base64

    return base64.b64encode(png(**kwargs)).decode()
