"""`kinga collect`: field volunteers' phones and the collection key.

- `kinga collect token NAME --agency AGENCY [--county COUNTY] [--phone LABEL] [--qr FILE]`
  adds a volunteer under the agency, issues their phone's token and prints the URL to give
  ODK Collect; `--qr FILE` also writes the set-up code Collect scans, as a PNG.
  `--volunteer V-0003` issues another phone's token to a volunteer already there.
- `kinga collect revoke TOKEN_ID` revokes a phone's token at once.
- `kinga collect deactivate V-0003` stops a volunteer reporting: all their phones' tokens
  are revoked at once.
- `kinga collect retry` tries every quarantined submission again (after a key came back).
- `kinga collect key-new` prints a fresh RSA private key (PEM) for KINGA_COLLECT_KEYS.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import qrcode
import qrcode.image.pure
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from kinga.accounts.models import Agency
from kinga.collect import services
from kinga.collect.encryption import new_private_key_pem
from kinga.collect.models import DeviceToken, Submission, SubmissionStatus, Volunteer
from kinga.collect.views import collect_settings_code
from kinga.places.models import County


def token_url(secret: str) -> str:
    """Return the server URL a phone is given: KINGA_BASE_URL and the token's path."""
    return settings.KINGA_BASE_URL.rstrip("/") + reverse("collect:server", args=[secret])


class Command(BaseCommand):
    help = "Field collection: issue or revoke a volunteer's phone token; make a collection key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("verb", choices=["token", "revoke", "deactivate", "retry", "key-new"])
        parser.add_argument("name", nargs="?", help="the volunteer's name, or the token id")
        parser.add_argument("--agency", help="the supervising agency's name")
        parser.add_argument("--county", help="the county the volunteer works in")
        parser.add_argument("--volunteer", help="an existing volunteer's code, e.g. V-0003")
        parser.add_argument("--phone", default="", help="which phone, to know it later")
        parser.add_argument("--qr", help="write Collect's set-up QR code to this PNG file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "key-new":
            self.stdout.write(new_private_key_pem())
            return
        if options["verb"] == "retry":
            waiting = Submission.objects.filter(status=SubmissionStatus.QUARANTINED)
            filed = 0
            for submission in waiting.order_by("pk"):
                after = services.quarantine_retry(actor=None, submission=submission)
                filed += after.status != SubmissionStatus.QUARANTINED
            self.stdout.write(f"{filed} filed; {waiting.count()} still quarantined.")
            return
        if options["verb"] == "revoke":
            token = DeviceToken.objects.filter(pk=_number(options["name"])).first()
            if token is None:
                raise CommandError("No such token.")
            services.token_revoke(actor=None, token=token)
            self.stdout.write(self.style.SUCCESS(f"Token {token.pk} revoked."))
            return
        if options["verb"] == "deactivate":
            code = (options["name"] or "").upper().removeprefix("V-")
            found = Volunteer.objects.filter(pk=_number(code)).first()
            if found is None:
                raise CommandError("No such volunteer.")
            services.volunteer_deactivate(actor=None, volunteer=found)
            self.stdout.write(self.style.SUCCESS(f"{found.code} deactivated; phones refused."))
            return
        volunteer = self._volunteer(options)
        try:
            _token, secret = services.token_issue(
                actor=None, volunteer=volunteer, label=options["phone"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        url = token_url(secret)
        self.stdout.write(f"{volunteer.code}: give ODK Collect this server URL (shown once):")
        self.stdout.write(url)
        if options["qr"]:
            image = qrcode.make(
                collect_settings_code(url, project="Kinga"),
                image_factory=qrcode.image.pure.PyPNGImage,
            )
            with Path(options["qr"]).open("wb") as out:
                image.save(out)
            self.stdout.write(f"Set-up code for Collect written to {options['qr']}")

    def _volunteer(self, options: dict[str, Any]) -> Volunteer:
        if options["volunteer"]:
            code = str(options["volunteer"]).upper().removeprefix("V-")
            found = Volunteer.objects.filter(pk=_number(code)).first()
            if found is None:
                raise CommandError(f"No volunteer {options['volunteer']}.")
            return found
        if not options["name"] or not options["agency"]:
            raise CommandError("Give the volunteer's NAME and --agency (or --volunteer V-0003).")
        agency = Agency.objects.filter(name=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency named {options['agency']!r}.")
        county = None
        if options["county"]:
            county = County.objects.filter(name__iexact=options["county"]).first()
            if county is None:
                raise CommandError(f"No county named {options['county']!r}.")
        try:
            return services.volunteer_add(
                actor=None, name=options["name"], agency=agency, county=county
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None


def _number(value: str | None) -> int:
    if not value or not value.isdigit():
        raise CommandError("Give a number.")
    return int(value)
