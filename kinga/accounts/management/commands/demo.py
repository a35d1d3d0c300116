"""`kinga demo`: migrate, load the synthetic demo data, print the accounts, serve."""

from __future__ import annotations

import os
import subprocess
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kinga.accounts.demo import ACCOUNTS, roles_label
from kinga.lib.demo import DEMO_PASSWORD, load_all


class Command(BaseCommand):
    help = "Set up the demo: migrate, load synthetic data (idempotent), then serve."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", "8000")), help="port to serve on"
        )
        parser.add_argument("--no-serve", action="store_true", help="set up and load, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.KINGA_ENV == "production":
            raise CommandError("The demo never runs in production (KINGA_ENV=production).")
        self.stdout.write("Migrating ...")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading synthetic demo data ...")
        load_all(out=self.stdout.write)
        if connection.vendor == "sqlite":
            # Give SQLite's planner statistics, so policy-scoped lists use the grant indexes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.print_accounts()
        if options["no_serve"]:
            return
        if not settings.DEMO_MODE:
            self.stdout.write(
                self.style.WARNING(
                    "KINGA_ENV is not 'demo': two-factor codes will not be shown on the page."
                )
            )
        # Links in alerts and SMS point at the port the demo serves on, unless configured.
        if "KINGA_BASE_URL" not in os.environ:
            base_url = f"http://127.0.0.1:{options['port']}"
            settings.KINGA_BASE_URL = base_url
            os.environ["KINGA_BASE_URL"] = base_url
        # The worker routes public reports into triage, sends SMS and escalates alerts.
        self.stdout.write("Starting the background worker (kinga worker) ...")
        # this interpreter running our own worker: fixed arguments
        worker = subprocess.Popen([sys.executable, "-m", "kinga", "worker"])  # noqa: S603
        try:
            call_command("runserver", f"127.0.0.1:{options['port']}", use_reloader=False)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()

    def print_accounts(self) -> None:
        self.stdout.write("")
        self.stdout.write("Demo accounts (synthetic; every password is the same):")
        self.stdout.write(f"  {'username':<16} {'password':<16} roles")
        for username, _first, _last, agency, roles, _on_call in ACCOUNTS:
            self.stdout.write(
                f"  {username:<16} {DEMO_PASSWORD:<16} {roles_label(roles)} — {agency}"
            )
        self.stdout.write(
            "Two-factor: in demo mode (KINGA_ENV=demo) the two-factor page shows the current "
            "code for the account; type it in."
        )
        self.stdout.write("")
