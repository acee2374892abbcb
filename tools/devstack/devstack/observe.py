"""What system tests read back from a running system: the emails it sent (from the mail catcher's
folder), and waiting until something they expect has happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float = 20.0) -> T:
    """Call check until it answers something truthy or the time is up; its last answer either way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    return check()


def emails_about(mail_dir: str | Path, number: str, *, phrase: str = "", to: str | None = None
                 ) -> list[tuple[str, str, str]]:
    """(recipient, decoded subject, plain text) of every email whose subject names the permit number
    (and the phrase, when given), to anyone or to one address."""
    found = []
    for path in Path(mail_dir).glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        subject, recipient = str(message["Subject"]), str(message["X-Envelope-To"]).strip()
        if number in subject and phrase in subject and to in (None, recipient):
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            found.append((recipient, subject, text))
    return found


def qr_codes_of_pdf(data: bytes) -> list[str]:
    """What the QR codes on a PDF's first page say (read back as a phone camera would)."""
    import io

    import pypdf
    import zxingcpp
    from PIL import Image

    reader = pypdf.PdfReader(io.BytesIO(data))
    return [r.text for image in reader.pages[0].images
            for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]
