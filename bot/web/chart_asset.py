"""Chart.js, installed from the npm registry by the setup (scripts/install_charts.sh) into var/web and served
from here for the console's metrics page: never from a CDN."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from bot.settings import Settings

CHART_JS_VERSION = "4.5.1"


def chart_script(settings: Settings) -> Optional[Path]:
    """The UMD build (dist/chart.umd.min.js) if it is installed."""
    for root in (settings.var_dir, settings.project_root / "var"):
        script = root / "web" / f"chart.js-{CHART_JS_VERSION}" / "dist" / "chart.umd.min.js"
        if script.is_file():
            return script
    return None
