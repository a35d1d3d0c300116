"""The names of task handlers and periodic jobs.

A module registers its handlers with `@task("app.name")` and its periodic jobs with
`@periodic("app.name", every=...)`. Registration happens when the module is imported: each
app imports the modules that register in its `AppConfig.ready()`, so every process (the
worker's included) knows every handler once Django is set up, without this app importing
the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

Handler = Callable[[dict[str, Any], datetime], None]
Interval = timedelta | Callable[[], timedelta]

HANDLERS: dict[str, Handler] = {}
# name -> how often it runs (a callable when a setting decides, read when the schedule syncs)
PERIODIC: dict[str, Interval] = {}


def task(name: str) -> Callable[[Handler], Handler]:
    """Register the function as the handler of tasks called `name`.

    A handler takes the payload and the time it runs at (`now`, passed in so tests move
    time instead of freezing it). It raises to ask for a retry.
    """

    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


def periodic(name: str, *, every: Interval) -> Callable[[Handler], Handler]:
    """Register the function as a job the worker runs every `every` (a timedelta, or a
    callable returning one when a setting decides), and as the handler of its task.

    The job runs as a task with an empty payload: once per due time whatever the number of
    workers, retried when it raises. It must be safe to run again (a retry, or a dead
    worker's run taken over), so it marks what it has done.
    """

    def register(function: Handler) -> Handler:
        PERIODIC[name] = every
        return task(name)(function)

    return register


def interval_of(name: str) -> timedelta:
    """Return the current interval of the periodic job `name`."""
    every = PERIODIC[name]
    return every if isinstance(every, timedelta) else every()


def load_handlers() -> dict[str, Handler]:
    """Return the registry (filled by the apps' `ready()` when Django was set up)."""
    return HANDLERS
