"""The one command registry every surface dispatches to.

Command modules in `bot/commands/` register themselves with `@registry.command`;
`load_commands()` imports them all, so adding a command is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil

from bot.core import Registry

registry = Registry()
_loaded = False


def load_commands() -> Registry:
    """Import every module of `bot.commands` once and return the filled registry."""
    global _loaded
    if not _loaded:
        import bot.commands as package

        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package.__name__}.{info.name}")
        _loaded = True
    return registry
