"""The Rasa Webchat widget, installed from the npm registry by the setup (scripts/install_webchat.sh)
into var/web and served from here: never from a CDN."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from bot.settings import Settings

WEBCHAT_VERSION = "1.0.1"


def webchat_script(settings: Settings) -> Optional[Path]:
    """The standalone build (lib/index.js) if it is installed."""
    for root in (settings.var_dir, settings.project_root / "var"):
        script = root / "web" / f"rasa-webchat-{WEBCHAT_VERSION}" / "lib" / "index.js"
        if script.is_file():
            return script
    return None
