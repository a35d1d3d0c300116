"""`make soak`: Kinga under steady load for ten minutes, and the crash tests' load.

    python tools/soak.py run        # the soak (make soak): see `run` below
    python tools/soak.py prepare    # helper processes: make the world on a database,
    python tools/soak.py drive ...  #   drive a server with it,
    python tools/soak.py verify ... #   and check what was acknowledged against what is stored

The soak, on a scratch database (SQLite `var/soak.sqlite3` unless `SOAK_DATABASE_URL` or
`DATABASE_URL` names another; its name must contain "bench" or "soak"), migrated, with
gunicorn (2 sync workers) serving Kinga on loopback and `kinga worker` running beside it:

1. a ramp (`SOAK_RAMP_SECONDS`, 30 s): closed-loop clients (`SOAK_CLIENTS`, 8) send the
   mix as fast as it is answered; its acknowledged requests per second is the maximum
   throughput *of this run, on this machine, for this mix* (no figure from another day);
2. the soak (`SOAK_SECONDS`, 600 s) at half that rate, paced: requests start on a
   schedule whatever the answers' speed (open loop), so a slow server shows as latency,
   not as a lower rate;
3. the worker drains its outbox, then everything acknowledged is looked up.

The mix, in visits: USSD sessions (dial and seven answers), SMS, the public web form, ODK
Collect's encrypted submissions, the open API's helpline calls and partners' referrals in
(each with a bearer token), and signed-in staff pages (home, the triage queue, a case).
A visit acknowledged is a USSD session's `END` screen, the SMS callback's `OK`, the web
form's follow-up code, ODK's 201, the API's 201, or a staff page's 200. Printed: errors by
kind, latency percentiles (p50/p95/p99) per channel, acknowledged against stored per
channel, and the outbox (tasks due but not done, failed tasks, unsent SMS). It exits 1 on
any error or loss.

The servers run with the public limits raised (one address sends everything here) and
the SMS file backend. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CALLBACK_KEY = "soak-callback-key"
LIMIT = "100000000/3600"
MARKER = "[soak] "
CHANNELS = ("ussd", "sms", "web", "odk", "api_call", "api_referral", "staff")
# One cycle of visits: USSD and the web form most, the rest in turn. A USSD visit is a
# whole session of eight requests; every other visit is one request.
CYCLE = (
    "ussd", "web", "sms", "staff", "api_call", "ussd", "odk", "web", "staff",
    "api_referral", "sms", "staff", "ussd", "web",
)  # fmt: skip
DANGER_EVERY = 10  # one web report in ten says a child is in danger now: an alert and its tasks
_CODE = re.compile(r'id="follow-up-code">\s*([A-Z0-9-]+)\s*<')


# --- the servers' environment ----------------------------------------------------------


def server_environment(database_url: str, var_dir: Path) -> dict[str, str]:
    """The environment gunicorn, the worker and the helpers run with: this process's keys
    (so the load generator's tokens and the checker's hashes match the servers'), the
    scratch database, raised public limits and the file SMS backend."""
    from django.conf import settings

    sms = var_dir / "sms"
    sms.mkdir(parents=True, exist_ok=True)
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="kinga.settings",
        DATABASE_URL=database_url,
        KINGA_VAR_DIR=str(var_dir),
        KINGA_SECRET_KEY=str(settings.SECRET_KEY),
        KINGA_DATA_KEYS=str(settings.KINGA_DATA_KEYS),
        KINGA_INDEX_KEY=str(settings.KINGA_INDEX_KEY),
        KINGA_AUDIT_KEYS=str(settings.KINGA_AUDIT_KEYS),
        KINGA_COLLECT_KEYS=str(settings.KINGA_COLLECT_KEYS),
        KINGA_AUDIT_CHECKPOINT_DIR=str(var_dir / "audit-checkpoints"),
        KINGA_AT_CALLBACK_KEY=CALLBACK_KEY,
        KINGA_REPORT_RATE_LIMIT=LIMIT,
        KINGA_FOLLOW_UP_RATE_LIMIT=LIMIT,
        KINGA_COLLECT_RATE_LIMIT=LIMIT,
        KINGA_SMS_BACKEND="file",
        KINGA_SMS_FILE_DIR=str(sms),
        KINGA_WEBHOOK_BACKEND="file",
        KINGA_LOG_LEVEL="ERROR",
    )


def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinga.settings")
    django.setup()


# --- the world: who sends what ---------------------------------------------------------


def data_ensure() -> None:
    """Load the rows the migrations load that the load needs (the gazetteer, the default
    alert chain) where they are missing: after a syncdb, or a transactional test's flush."""
    import importlib

    from django.apps import apps
    from django.db import connection

    from kinga.places.models import County

    loaders = [("kinga.intake.migrations.0005_default_alert_chain", "chain_load")]
    if not County.objects.exists():
        loaders.insert(0, ("kinga.places.migrations.0002_load_gazetteer", "load_gazetteer"))
    with connection.schema_editor() as editor:
        for module, name in loaders:
            # a migration's own data function, by its module's name (it starts with a digit)
            getattr(importlib.import_module(module), name)(apps, editor)


def schema_fast() -> None:
    """Create every table straight from the models (no migration history), then the data
    the migrations would load: for the crash test's own throwaway PostgreSQL cluster, where
    replaying every migration would take minutes."""
    from django.apps import apps
    from django.core.management import call_command
    from django.test.utils import override_settings

    with override_settings(MIGRATION_MODULES={app.label: None for app in apps.get_app_configs()}):
        call_command("migrate", run_syncdb=True, verbosity=0)
    data_ensure()


def prepare(run: str) -> dict[str, Any]:
    """Make what the load needs on the configured database; return it as JSON-ready data:
    agencies to route to, API and partner tokens, a field volunteer's phone token, and a
    caseworker's signed-in session (two-factor passed) with a case to open."""
    from django.conf import settings
    from django.test import Client

    from kinga.accounts.models import Agency, AgencyKind, Role
    from kinga.accounts.services import authenticator_ensure, user_create
    from kinga.api.bench import _partner
    from kinga.api.bench import _setup as api_setup
    from kinga.cases.services import case_open
    from kinga.collect import services as collect
    from kinga.collect import xforms
    from kinga.collect.encryption import public_key
    from kinga.people.models import PersonKind
    from kinga.people.services import person_create
    from kinga.places.models import County
    from kinga.places.selectors import coastal_counties

    for county in coastal_counties():
        for kind, label in (
            (AgencyKind.CHILDRENS_SERVICES, "Children's Services"),
            (AgencyKind.NGO, "Child Rights Network"),
        ):
            Agency.objects.get_or_create(
                name=f"{MARKER}{label} {county.name}", defaults={"kind": kind, "county": county}
            )
    integration, api_tokens = api_setup(run)
    partner, partner_tokens = _partner(run, integration.requested_by)
    mombasa = County.objects.get(name="Mombasa")
    ngo = Agency.objects.get(name=f"{MARKER}Child Rights Network Mombasa")
    volunteer = collect.volunteer_add(actor=None, name=f"{MARKER}volunteer {run}", agency=ngo)
    _token, odk_token = collect.token_issue(actor=None, volunteer=volunteer, label="soak")
    caseworker = user_create(
        username=f"soak_caseworker_{run}",
        password=secrets.token_urlsafe(18),
        agency=ngo,
        roles={Role.CASEWORKER},
        actor=None,
    )
    # the helpline desk is a step of the default alert chain: a danger report's alert
    # reaches this operator (a notice, an SMS to the work phone: more tasks for the worker)
    user_create(
        username=f"soak_helpline_{run}",
        password=secrets.token_urlsafe(18),
        agency=integration.agency,
        roles={Role.HELPLINE},
        actor=None,
        phone=f"+2547{secrets.randbelow(90000000) + 10000000}",
    )
    child = person_create(
        actor=caseworker,
        kind=PersonKind.CHILD,
        given_name="Soak",
        family_name="Child",
        age_estimate=14,
        age_basis="apparent",
    )
    case = case_open(child=child, county=mombasa, actor=caseworker, reason="soak")
    browser = Client()
    device = authenticator_ensure(user=caseworker)
    browser.force_login(caseworker)
    session = browser.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    form = xforms.form_build("kinga_field_report")
    return {
        "run": run,
        "api_integration": integration.pk,
        "api_tokens": api_tokens,
        "partner": partner.pk,
        "partner_tokens": partner_tokens,
        "odk_token": odk_token,
        # what a phone has once it has fetched the form: its id, version and the public key
        "odk_form": [form.form_id, form.version],
        "odk_public_key": public_key().base64,
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        "staff_pages": ["/", "/intake/triage/", f"/cases/{case.pk}/"],
    }


# --- the load --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One request of a visit, and how to tell its acknowledgement."""

    channel: str
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    check: Callable[[int, str], str | None]  # the reference acknowledged, "" for a step, or None
    last: bool = True


def _form(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode(fields).encode()
    return body, {"Content-Type": "application/x-www-form-urlencoded"}


class Mix:
    """Builds the visits of the mix for one world (in a process with the servers' settings)."""

    def __init__(self, world: dict[str, Any]) -> None:
        self.world = world
        self.counter = 0
        self.lock = threading.Lock()

    def _next(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def visit(self, channel: str) -> Iterator[Step]:
        return getattr(self, f"_{channel}")()  # type: ignore[no-any-return]

    def _ussd(self) -> Iterator[Step]:
        from kinga.intake.bench import USSD_ANSWERS

        session = f"ATUid_soak_{secrets.token_hex(8)}"
        phone = f"+2547{secrets.randbelow(20000000) + 10000000}"
        answers: list[str] = []
        for step in range(len(USSD_ANSWERS) + 1):
            last = step == len(USSD_ANSWERS)
            body, headers = _form(
                {
                    "sessionId": session,
                    "serviceCode": "*384*1234#",
                    "phoneNumber": phone,
                    "networkCode": "63902",
                    "text": "*".join(answers),
                }
            )
            headers["X-Kinga-Callback-Key"] = CALLBACK_KEY

            def check(status: int, text: str, last: bool = last) -> str | None:
                if status != 200:
                    return None
                if last:  # the thanks (English, the first answer), not "END Sorry ..."
                    return session if text.startswith("END Thank you") else None
                return "" if text.startswith("CON ") else None

            yield Step("ussd", "POST", "/channels/africastalking/ussd/", body, headers, check, last)
            if not last:
                answers.append(USSD_ANSWERS[step])

    def _sms(self) -> Iterator[Step]:
        message_id = f"ATXid_soak_{uuid.uuid4().hex}"
        body, headers = _form(
            {
                "id": message_id,
                "from": f"+2547{secrets.randbelow(20000000) + 30000000}",
                "to": "21606",
                "text": "Msichana mdogo anapelekwa baa Mtwapa usiku na mwanamume",
                "date": "2026-12-03 20:00:00",
                "linkId": "",
            }
        )
        headers["X-Kinga-Callback-Key"] = CALLBACK_KEY
        yield Step(
            "sms",
            "POST",
            "/channels/africastalking/sms/incoming/",
            body,
            headers,
            lambda status, text: message_id if status == 200 and text == "OK" else None,
        )

    def _web(self) -> Iterator[Step]:
        from django.conf import settings
        from django.core import signing

        from kinga.intake.submission import SUBMISSION_SALT

        signer = signing.TimestampSigner(key=settings.SECRET_KEY, salt=SUBMISSION_SALT)
        danger = "yes" if self._next() % DANGER_EVERY == 0 else "no"
        body, headers = _form(
            {
                "lang": "en",
                "submission": signer.sign(secrets.token_urlsafe(18)),
                "categories": "sexual_exploitation",
                "narrative": "Girls taken to a bar in Mtwapa at night by a man",
                "danger_now": danger,
                "reporter_relation": "neighbour",
                "county": "",
            }
        )

        def check(status: int, text: str) -> str | None:
            found = _CODE.search(text) if status == 200 else None
            return found.group(1) if found else None

        yield Step("web", "POST", "/report/?lang=en", body, headers, check)

    def _odk(self) -> Iterator[Step]:
        from kinga.collect.bench import ANSWERS
        from kinga.collect.phone import encrypt_submission, form_xml, submission_body

        instance_id = f"uuid:{uuid.uuid4()}"
        form, version = self.world["odk_form"]
        sealed = encrypt_submission(
            public_key_b64=self.world["odk_public_key"],
            form_id=form,
            version=version,
            instance_id=instance_id,
            xml=form_xml(form, version, instance_id, ANSWERS),
        )
        body, content_type = submission_body(sealed)
        headers = {"Content-Type": content_type, "X-OpenRosa-Version": "1.0"}
        yield Step(
            "odk",
            "POST",
            f"/odk/key/{self.world['odk_token']}/submission",
            body,
            headers,
            lambda status, text: instance_id if status == 201 else None,
        )

    def _api(self, channel: str, path: str, tokens: list[str], body: dict[str, Any]) -> Step:
        token = tokens[self._next() % len(tokens)]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        reference = str(body.get("call_id") or body.get("reference"))
        return Step(
            channel,
            "POST",
            path,
            json.dumps(body).encode(),
            headers,
            lambda status, text: reference if status == 201 else None,
        )

    def _api_call(self) -> Iterator[Step]:
        from kinga.api.bench import CALL

        call = {**CALL, "call_id": f"soak-{self.world['run']}-{uuid.uuid4().hex[:16]}"}
        yield self._api("api_call", "/api/v1/reports/", self.world["api_tokens"], call)

    def _api_referral(self) -> Iterator[Step]:
        from kinga.api.bench import REFERRAL

        referral = {**REFERRAL, "reference": f"soak-{self.world['run']}-{uuid.uuid4().hex[:16]}"}
        yield self._api(
            "api_referral", "/api/v1/referrals-in/", self.world["partner_tokens"], referral
        )

    def _staff(self) -> Iterator[Step]:
        pages = self.world["staff_pages"]
        path = pages[self._next() % len(pages)]
        yield Step(
            "staff",
            "GET",
            path,
            b"",
            {"Cookie": self.world["cookie"]},
            lambda status, text: "" if status == 200 else None,
        )


@dataclass
class Tally:
    """What the load generator saw, per channel."""

    latencies: dict[str, list[float]]
    acknowledged: dict[str, list[str]]
    errors: dict[str, int]
    requests: int = 0

    @classmethod
    def empty(cls) -> Tally:
        return cls({c: [] for c in CHANNELS}, {c: [] for c in CHANNELS}, {})


def drive(
    port: int,
    world: dict[str, Any],
    *,
    seconds: float,
    clients: int,
    rate: float = 0.0,
    stop: threading.Event | None = None,
) -> Tally:
    """Send the mix to `port` for `seconds` from `clients` threads and return the tally.

    With `rate` (requests per second) the requests start on a shared schedule (open loop:
    a client waits for the next slot, however fast the answers come); without, each client
    sends its next request when the last is answered (closed loop: as fast as it goes).
    A visit stops at its first unacknowledged step (a USSD gateway drops the session).
    """
    from kinga.lib import loadgen

    mix = Mix(world)
    tally = Tally.empty()
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds
    slots = [0]
    halt = stop or threading.Event()

    def wait_slot() -> bool:
        if not rate:
            return time.monotonic() < deadline
        with lock:
            slot = started + slots[0] / rate
            slots[0] += 1
        if slot >= deadline:
            return False
        pause = slot - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        return time.monotonic() < deadline

    def client(number: int) -> None:
        position = number
        while time.monotonic() < deadline and not halt.is_set():
            channel = CYCLE[position % len(CYCLE)]
            position += 1
            for step in mix.visit(channel):
                if not wait_slot() or halt.is_set():
                    return
                answer = loadgen.send(
                    port, step.path, method=step.method, body=step.body, headers=step.headers
                )
                reference = step.check(answer.status, answer.text)
                with lock:
                    tally.requests += 1
                    tally.latencies[step.channel].append(answer.seconds)
                    if reference is None:
                        kind = f"{step.channel}: " + (
                            "no answer" if answer.status == 0 else f"status {answer.status}"
                        )
                        if answer.status == 200:
                            kind = f"{step.channel}: unexpected page"
                        tally.errors[kind] = tally.errors.get(kind, 0) + 1
                    elif step.last and reference:
                        tally.acknowledged[step.channel].append(reference)
                if reference is None:
                    break

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def warm(port: int, world: dict[str, Any], *, rounds: int = 2) -> Tally:
    """Send one whole visit of every channel, `rounds` times, one after another: both web
    workers take the imports, the API's schema and their connections before anything is
    measured or killed, and every channel has acknowledged reports. Unlike `drive`, a
    visit is finished however slowly the answers come."""
    from kinga.lib import loadgen

    mix = Mix(world)
    tally = Tally.empty()
    for _round in range(rounds):
        for channel in CHANNELS:
            for step in mix.visit(channel):
                # a cold worker on a loaded machine may take long over its first answers
                answer = loadgen.send(
                    port,
                    step.path,
                    method=step.method,
                    body=step.body,
                    headers=step.headers,
                    timeout=120,
                )
                reference = step.check(answer.status, answer.text)
                tally.requests += 1
                tally.latencies[step.channel].append(answer.seconds)
                if reference is None:
                    kind = f"{step.channel}: warming up, status {answer.status}"
                    tally.errors[kind] = tally.errors.get(kind, 0) + 1
                    break
                if step.last and reference:
                    tally.acknowledged[step.channel].append(reference)
    return tally


def latency_table(tally: Tally) -> dict[str, dict[str, float]]:
    from kinga.lib.bench import percentile

    table = {}
    for channel, values in tally.latencies.items():
        if values:
            table[channel] = {
                "requests": len(values),
                "p50_ms": round(percentile(values, 0.50) * 1000, 1),
                "p95_ms": round(percentile(values, 0.95) * 1000, 1),
                "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            }
    return table


# --- what is stored --------------------------------------------------------------------


def verify(world: dict[str, Any], acknowledged: dict[str, list[str]]) -> dict[str, Any]:
    """Look up every acknowledged report; return per channel acknowledged, stored and the
    missing, and the outbox: due tasks not done, failed tasks, SMS not sent."""
    from django.db.models import Q
    from django.utils import timezone

    from kinga.collect.models import Submission, SubmissionStatus
    from kinga.intake.models import Channel, Report
    from kinga.intake.services.codes import follow_up_hash
    from kinga.messaging.models import OutboundMessage
    from kinga.tasks.models import Task, TaskState

    def found(queryset: Any, field: str, wanted: list[str]) -> set[str]:
        seen: set[str] = set()
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            seen.update(queryset.filter(**{f"{field}__in": part}).values_list(field, flat=True))
        return seen

    per: dict[str, dict[str, Any]] = {}

    def tell(channel: str, wanted: list[str], stored: set[str]) -> None:
        missing = sorted(set(wanted) - stored)
        per[channel] = {
            "acknowledged": len(wanted),
            "stored": len(set(wanted) & stored),
            "duplicates_acknowledged": len(wanted) - len(set(wanted)),
            "missing": missing[:20],
            "lost": len(missing),
        }

    ussd = acknowledged.get("ussd", [])
    tell(
        "ussd",
        ussd,
        found(
            Report.objects.filter(channel=Channel.USSD, channel_complete=True),
            "channel_reference",
            ussd,
        ),
    )
    sms = acknowledged.get("sms", [])
    tell("sms", sms, found(Report.objects.filter(channel=Channel.SMS), "channel_reference", sms))
    codes = acknowledged.get("web", [])
    hashes = {follow_up_hash(code): code for code in codes}
    stored_hashes = found(
        Report.objects.filter(channel=Channel.WEB), "follow_up_hash", list(hashes)
    )
    tell("web", codes, {hashes[h] for h in stored_hashes})
    odk = acknowledged.get("odk", [])
    filed = found(
        Submission.objects.filter(status=SubmissionStatus.FILED, report__isnull=False),
        "instance_id",
        odk,
    )
    tell("odk", odk, filed)
    for channel, kind, owner in (
        ("api_call", Channel.HELPLINE, world["api_integration"]),
        ("api_referral", Channel.PARTNER, world["partner"]),
    ):
        wanted = acknowledged.get(channel, [])
        prefixed = [f"api:{owner}:{reference}" for reference in wanted]
        stored = found(Report.objects.filter(channel=kind), "channel_reference", prefixed)
        tell(channel, wanted, {reference.rsplit(":", 1)[1] for reference in stored})
    now = timezone.now()
    outbox = {
        "tasks_due_not_done": Task.objects.filter(
            Q(state=TaskState.QUEUED, run_after__lte=now) | Q(state=TaskState.RUNNING)
        ).count(),
        "tasks_failed": Task.objects.filter(state=TaskState.FAILED).count(),
        "tasks_done": Task.objects.filter(state=TaskState.DONE).count(),
        "sms_not_sent": OutboundMessage.objects.exclude(state="Sent").count(),
        "sms_sent": OutboundMessage.objects.filter(state="Sent").count(),
    }
    unrouted = Report.objects.filter(routed_at__isnull=True, channel_complete=True)
    outbox["reports_not_routed"] = unrouted.exclude(channel=Channel.USSD).count() + (
        Report.objects.filter(
            channel=Channel.USSD, channel_complete=True, routed_at__isnull=True
        ).count()
    )
    return {"channels": per, "lost": sum(c["lost"] for c in per.values()), "outbox": outbox}


def sms_sends(sms_dir: Path) -> dict[str, int]:
    """Return how many times the file backend was handed each message (by its reference)."""
    sends: dict[str, int] = {}
    outbox = sms_dir / "outbox.jsonl"
    if outbox.exists():
        for line in outbox.read_text(encoding="utf-8").splitlines():
            if line.strip():
                reference = json.loads(line)["reference"]
                sends[reference] = sends.get(reference, 0) + 1
    return sends


# --- processes -------------------------------------------------------------------------


def start_worker(environment: dict[str, str], log: Path) -> Any:
    import subprocess

    stream = log.open("ab")
    # this interpreter running our own worker: fixed arguments
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kinga", "worker", "--sleep", "0.2"],
        env=environment,
        stdout=stream,
        stderr=stream,
    )


def drain(environment: dict[str, str], *, ahead_minutes: int = 0, rounds: int = 50) -> int:
    """Run `kinga worker --once` until it finds nothing due; return the tasks it ran.

    With `ahead_minutes`, it runs as if that much later: tasks a killed worker had claimed
    are taken over once their lease (ten minutes) has passed, as a live worker would then.
    """
    from datetime import timedelta

    from django.utils import timezone

    from kinga.lib import loadgen

    ran = 0
    for _round in range(rounds):
        arguments = ["-m", "kinga", "worker", "--once"]
        if ahead_minutes:
            later = timezone.now() + timedelta(minutes=ahead_minutes)
            arguments += ["--now", later.isoformat()]
        line = loadgen.python(arguments, environment).strip().splitlines()[-1]
        count = int(re.search(r"ran (\d+) tasks", line).group(1))  # type: ignore[union-attr]
        ran += count
        if count == 0:
            return ran
    return ran


# --- the soak --------------------------------------------------------------------------


def _scratch_url() -> str:
    url = os.environ.get("SOAK_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url:
        (ROOT / "var").mkdir(exist_ok=True)
        return f"sqlite:///{ROOT / 'var' / 'soak.sqlite3'}"
    name = urllib.parse.urlparse(url).path.rsplit("/", 1)[-1]
    if "bench" not in name and "soak" not in name:
        raise SystemExit(
            f"the soak writes thousands of reports: give it a scratch database whose name"
            f" contains 'bench' or 'soak', not {name!r}"
        )
    return url


def run(out: Callable[[str], None] = print) -> int:
    """The soak (`make soak`); return the exit status."""
    from kinga.lib import loadgen

    url = _scratch_url()
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    ramp = float(os.environ.get("SOAK_RAMP_SECONDS", "30"))
    clients = int(os.environ.get("SOAK_CLIENTS", "8"))
    warm_seconds = float(os.environ.get("SOAK_WARM_SECONDS", "20"))
    os.environ["DATABASE_URL"] = url
    _django()
    from django.db import connections

    with tempfile.TemporaryDirectory(prefix="kinga-soak-") as scratch:
        var = Path(scratch)
        environment = server_environment(url, var)
        out(f"soak on {url.split('@')[-1]}: migrating ...")
        loadgen.python(["-m", "kinga", "migrate", "--verbosity", "0"], environment)
        world = json.loads(
            loadgen.python([str(Path(__file__)), "prepare"], environment).splitlines()[-1]
        )
        connections.close_all()
        port = loadgen.free_port()
        server = loadgen.gunicorn("kinga.wsgi:application", port, environment)
        worker = start_worker(environment, var / "worker.log")
        try:
            loadgen.wait_listening(port, server)
            # warm both workers up (imports, the API's schema, connections), not measured
            out("warming up ...")
            warmed = warm(port, world)
            warm_load = drive(port, world, seconds=warm_seconds, clients=4)
            out(f"ramp: {clients} clients as fast as answered for {ramp:.0f} s ...")
            measured = drive(port, world, seconds=ramp, clients=clients)
            # every report acknowledged at any time of the run must be stored
            acknowledged = {
                c: warmed.acknowledged[c] + warm_load.acknowledged[c] + measured.acknowledged[c]
                for c in CHANNELS
            }
            maximum = (measured.requests - sum(measured.errors.values())) / ramp
            target = maximum / 2
            out(f"  maximum {maximum:.1f} requests/s (this run, this mix); soak at {target:.1f}")
            out(f"soak: {seconds:.0f} s at {target:.1f} requests/s ...")
            soak_started = time.monotonic()
            tally = drive(port, world, seconds=seconds, clients=max(clients * 2, 16), rate=target)
            soak_took = time.monotonic() - soak_started
            for channel, references in tally.acknowledged.items():
                acknowledged[channel] += references
            out("draining the outbox ...")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and due_count():
                time.sleep(1)
        finally:
            loadgen.stop(server)
            loadgen.stop(worker)
        ran_after = drain(environment)
        checked = verify(world, acknowledged)
        sends = sms_sends(var / "sms")
    report = {
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "seconds": round(soak_took, 1),
        "ramp_max_req_s": round(maximum, 1),
        "target_req_s": round(target, 1),
        "achieved_req_s": round(tally.requests / soak_took, 1),
        "requests": tally.requests,
        "errors": tally.errors,
        "ramp_errors": measured.errors,
        "warm_up_errors": {**warmed.errors, **warm_load.errors},
        "latency": latency_table(tally),
        "stored": checked["channels"],
        "lost": checked["lost"],
        "outbox": checked["outbox"],
        "tasks_left_for_the_final_drain": ran_after,
        "sms_handed_to_backend": sum(sends.values()),
        "sms_sent_twice": sum(1 for count in sends.values() if count > 1),
        "load_average": os.getloadavg(),
    }
    out(json.dumps(report, indent=2))
    failed = (
        report["errors"]
        or report["ramp_errors"]
        or report["warm_up_errors"]
        or report["lost"]
        or checked["outbox"]["tasks_due_not_done"]
        or checked["outbox"]["tasks_failed"]
        or checked["outbox"]["sms_not_sent"]
        or checked["outbox"]["reports_not_routed"]
    )
    out("SOAK FAILED" if failed else "soak passed: no error, nothing lost, the outbox drained")
    return 1 if failed else 0


def due_count() -> int:
    """Tasks due now that are not done (queued and due, or claimed by a worker)."""
    from django.db.models import Q
    from django.utils import timezone

    from kinga.tasks.models import Task, TaskState

    now = timezone.now()
    return Task.objects.filter(
        Q(state=TaskState.QUEUED, run_after__lte=now) | Q(state=TaskState.RUNNING)
    ).count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kinga's soak and its helper processes")
    parser.add_argument("command", choices=["run", "prepare", "verify", "due", "drive"])
    parser.add_argument("arguments", nargs="*")
    parser.add_argument("--fast-schema", action="store_true", help="prepare: syncdb, no history")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=6)
    options = parser.parse_args(argv)
    if options.command == "run":
        return run()
    _django()
    if options.command == "prepare":
        if options.fast_schema:
            schema_fast()
        print(json.dumps(prepare(secrets.token_hex(4))))
    elif options.command == "verify":
        world = json.loads(Path(options.arguments[0]).read_text())
        acknowledged = json.loads(Path(options.arguments[1]).read_text())
        print(json.dumps(verify(world, acknowledged)))
    elif options.command == "due":
        print(due_count())
    elif options.command == "drive":
        port, world_file, out_file = options.arguments
        world = json.loads(Path(world_file).read_text())
        Mix(world)  # the set-up a caller may wait for, then say so
        Path(f"{out_file}.started").touch()
        tally = drive(int(port), world, seconds=options.seconds, clients=options.clients)
        Path(out_file).write_text(
            json.dumps(
                {
                    "acknowledged": tally.acknowledged,
                    "errors": tally.errors,
                    "requests": tally.requests,
                    "latency": latency_table(tally),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
