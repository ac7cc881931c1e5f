"""Headless Chromium for driving the explorer: browser tests, benchmarks, screenshots.

Debian's Chromium (``/usr/bin/chromium``, installed by ``make test``), never a
browser that a tool downloads. The flags keep it from reaching for the network
(this workplace has none) and from using a GPU it does not have.
"""

from __future__ import annotations

import os

#: The Chromium binary (``$REGIONSCOPE_CHROMIUM`` overrides it).
CHROMIUM = os.environ.get("REGIONSCOPE_CHROMIUM", "/usr/bin/chromium")
#: Flags for a headless run on a machine without network or GPU.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def launch(playwright):
    """Start headless Chromium with Playwright (which gives it a fresh profile)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))
