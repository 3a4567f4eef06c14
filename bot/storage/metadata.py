"""Every table the assistant's models declare: those in bot/storage/models.py and in any
bot/storage/*_models.py module (each imports `Base` from models), for Alembic's comparisons."""
from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData


def full_metadata() -> MetaData:
    """`Base.metadata` once every models module has been imported (a missing optional module is fine)."""
    import bot.storage as package
    from bot.storage.models import Base

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.endswith("_models"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    return Base.metadata
