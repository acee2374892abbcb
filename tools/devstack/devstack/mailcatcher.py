"""A real SMTP server for development and tests: every message is kept as an .eml file."""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class KeepEveryMessage:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        message = message_from_bytes(content, policy=policy.default)
        # Recipients come from the envelope (Bcc included), which the headers may not show.
        stamp = time.strftime("%Y%m%dT%H%M%S")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        header = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        tmp = self.directory / (name + ".tmp")
        tmp.write_bytes(header.encode() + content)
        tmp.rename(self.directory / name)  # readers never see a half-written message
        print(f"mail: {message['Subject']!s} -> {', '.join(envelope.rcpt_tos)} ({name})", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(KeepEveryMessage(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
