"""The names of task handlers. A module registers its handlers with `@task("app.name")`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

Handler = Callable[[dict[str, Any], datetime], None]

HANDLERS: dict[str, Handler] = {}

# Modules whose import registers handlers; the worker imports them all before it starts.
HANDLER_MODULES = [
    "kinga.messaging.services",
    "kinga.notifications.services",
    "kinga.intake.services",
]


def task(name: str) -> Callable[[Handler], Handler]:
    """Register the function as the handler of tasks called `name`.

    A handler takes the payload and the time it runs at (`now`, passed in so tests move
    time instead of freezing it). It raises to ask for a retry.
    """

    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


def load_handlers() -> dict[str, Handler]:
    """Import every module that registers handlers; return the registry."""
    for module in HANDLER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if not (error.name and module.startswith(error.name)):
                raise
    return HANDLERS
