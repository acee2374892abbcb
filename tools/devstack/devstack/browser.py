"""Debian's Chromium as the browser tests and the web benchmark drive it (through Playwright for Python,
never a browser download of Playwright's own)."""

from __future__ import annotations

import os
import shutil
from typing import Any

# Without these it reaches for the internet (updates, sync, QUIC probes) or needs a GPU and a sandbox.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def find_chromium() -> str | None:
    """The chromium to drive: $CHROMIUM when set, else the one on PATH; None when there is none."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def draw_signature(page: Any) -> None:
    """Draw a stroke in the page's signature pad, as a finger would."""
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 22, box["y"] + box["height"] * (0.7 - 0.05 * (step % 4)), steps=3)
    page.mouse.up()
