"""The human team's business hours, as the handoff desk reads them from the settings.

The value type and its parsing live in `bot.timekeeping` (below the settings, so the two no longer
import each other); this name stays for the handoff code that imports it from here."""
from bot.settings import parse_service_hours
from bot.timekeeping import ServiceHours

__all__ = ["ServiceHours", "parse_service_hours"]
