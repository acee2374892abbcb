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


def photo(kind: str, width: int = 640, height: int = 480) -> bytes:
    """A real JPEG, PNG or HEIC photo-like image, made with Pillow (and pillow-heif for HEIC)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(240, 200, 40))
    out = io.BytesIO()
    if kind == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
        image.save(out, format="HEIF")
    else:
        image.save(out, format={"jpeg": "JPEG", "png": "PNG"}[kind])
    return out.getvalue()


def pdf(pages: int = 1) -> bytes:
    """A small valid PDF (one empty page per page asked for)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    body = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return body
