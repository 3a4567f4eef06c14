"""The Rasa Webchat widget, installed from the npm registry by the setup (scripts/install_webchat.sh)
into var/web and served from here: never from a CDN.

The widget's styles import the Inter font from Google Fonts; the store page's CSP refuses that request
(and the page sets its own fonts, store.css), which left one console error per stylesheet. The script is
served without those imports, so the page asks no other site for anything."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

from bot.settings import Settings

WEBCHAT_VERSION = "1.0.1"
_REMOTE_FONT_IMPORT = re.compile(rb"@import url\(https://fonts\.googleapis\.com/[^)]*\);?")


def webchat_script(settings: Settings) -> Optional[Path]:
    """The standalone build (lib/index.js) if it is installed."""
    for root in (settings.var_dir, settings.project_root / "var"):
        script = root / "web" / f"rasa-webchat-{WEBCHAT_VERSION}" / "lib" / "index.js"
        if script.is_file():
            return script
    return None


def without_remote_fonts(script: bytes) -> bytes:
    """The widget's code without its stylesheets' imports of Google Fonts (the styles stay as they are)."""
    return _REMOTE_FONT_IMPORT.sub(b"", script)


@lru_cache(maxsize=2)
def _served(path: str, modified_ns: int) -> bytes:
    return without_remote_fonts(Path(path).read_bytes())


def webchat_bundle(settings: Settings) -> Optional[bytes]:
    """What the web server sends for the widget: the installed script, without remote fonts."""
    script = webchat_script(settings)
    return _served(str(script), script.stat().st_mtime_ns) if script else None
