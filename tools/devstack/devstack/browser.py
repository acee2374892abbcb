"""Debian's Chromium as the browser tests and the web benchmark drive it (through Playwright for Python,
never a browser download of Playwright's own)."""

from __future__ import annotations

import os
import shutil

# Without these it reaches for the internet (updates, sync, QUIC probes) or needs a GPU and a sandbox.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def find_chromium() -> str | None:
    """The chromium to drive: $CHROMIUM when set, else the one on PATH; None when there is none."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
