"""Send the day's case reminders: overdue promises and tasks falling due (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kinga.cases.services import case_reminders_send


class Command(BaseCommand):
    help = "Notify owners and supervisors of overdue promises, and owners of tasks due today."

    def handle(self, *args: Any, **options: Any) -> None:
        flagged = case_reminders_send()
        self.stdout.write(f"{flagged} overdue promise(s) flagged")
