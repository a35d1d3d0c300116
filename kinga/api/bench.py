"""Benchmark `api_load`: helpline calls filed through the open API under load, against the
public web form's rate in the same run, and none lost.

Run it on a scratch database (its name contains "bench"): `DATABASE_URL=... kinga bench
api_load`. It registers a bench helpline agency and integration (named "[bench] ..."), then
drives both paths in this process with the same number of concurrent clients for the same
time, alternating web, API, web, API so that a change in the machine's load falls on both:
each client posts a report and waits for the answer, then posts the next. The API's calls
carry a token and a fresh call id; the web form's a fresh submission token and a fresh
address (the form's per-address limit is not what is measured). Afterwards every
acknowledged report must be in the database: API reports by their call references, web
reports by count.

The ratio is the API's acknowledged reports per second over the web form's. Beside them,
in the same rounds, a partner's system refers children in (`/api/v1/referrals-in/`, the
same pipeline on the partner channel, a fresh reference each): its rate is a figure of its
own, and its acknowledged referrals must all be stored too.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.test import Client

from kinga.accounts.models import Agency, AgencyKind, Role, User
from kinga.accounts.services import user_create
from kinga.api import services
from kinga.api.models import Integration, Scope
from kinga.intake.models import Channel, Report
from kinga.intake.submission import submission_token_new
from kinga.lib.bench import BenchResult, database_label, percentile, record
from kinga.places.models import County

MARKER = "[bench] "
TOKENS = 8  # each token has its own rate-limit bucket; the bench must not hit the limit


def _partner(run: str, admin: User) -> tuple[Integration, list[str]]:
    """A bench partner NGO's system that refers children in."""
    county = County.objects.get(name="Mombasa")
    agency, _created = Agency.objects.get_or_create(
        name=f"{MARKER}Partner", defaults={"kind": AgencyKind.NGO, "county": county}
    )
    integration = services.integration_register(
        actor=admin,
        agency=agency,
        name=f"{MARKER}partner system {run}",
        scopes=[Scope.REFERRAL_SEND],
        rate_per_minute=6000,
    )
    tokens = [
        services.token_issue(
            actor=admin, integration=integration, scopes=[Scope.REFERRAL_SEND]
        ).secret
        for _ in range(TOKENS)
    ]
    return integration, tokens


def _setup(run: str) -> tuple[Integration, list[str]]:
    county = County.objects.get(name="Mombasa")
    agency, _created = Agency.objects.get_or_create(
        name=f"{MARKER}Helpline", defaults={"kind": AgencyKind.HELPLINE, "county": county}
    )
    admin = User.objects.filter(username="bench_api_admin").first() or user_create(
        username="bench_api_admin",
        password=secrets.token_urlsafe(16),
        agency=agency,
        roles={Role.ADMIN},
        actor=None,
    )
    integration = services.integration_register(
        actor=admin,
        agency=agency,
        name=f"{MARKER}call system {run}",
        scopes=[Scope.REPORT_WRITE],
        rate_per_minute=6000,
    )
    secrets_ = [
        services.token_issue(
            actor=admin, integration=integration, scopes=[Scope.REPORT_WRITE]
        ).secret
        for _ in range(TOKENS)
    ]
    return integration, secrets_


CALL = {
    "categories": ["sexual_exploitation"],
    "narrative": "Girls taken to a bar in Mtwapa at night by a man",
    "danger_now": "no",
    "reporter_relation": "neighbour",
    "call": {"language": "sw", "duration_minutes": 6},
}
REFERRAL = {
    "reason": "Girls taken to a bar in Mtwapa at night by a man",
    "services": ["rescue_shelter", "counselling"],
    "categories": ["sexual_exploitation"],
    "danger_now": "no",
}
WEB = {
    "lang": "en",
    "categories": "sexual_exploitation",
    "narrative": "Girls taken to a bar in Mtwapa at night by a man",
    "danger_now": "no",
    "reporter_relation": "neighbour",
    "county": "",
}


def _drive(
    kind: str,
    seconds: float,
    clients: int,
    tokens: list[str],
    run: str,
    out: Callable[[str], None],
    round_: int,
) -> tuple[int, int, list[float]]:
    """Run `clients` threads posting for `seconds`; return (acknowledged, errors, latencies)."""
    lock = threading.Lock()
    acknowledged = 0
    errors = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        nonlocal acknowledged, errors
        http = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[number % len(tokens)]}")
        sequence = 0
        try:
            while time.perf_counter() < deadline:
                sequence += 1
                start = time.perf_counter()
                if kind == "api":
                    body = {**CALL, "call_id": f"bench-{run}-{round_}-{number}-{sequence}"}
                    response = http.post(
                        "/api/v1/reports/", json.dumps(body), content_type="application/json"
                    )
                    ok = response.status_code == 201
                elif kind == "referral_in":
                    body = {**REFERRAL, "reference": f"bench-{run}-{round_}-{number}-{sequence}"}
                    response = http.post(
                        "/api/v1/referrals-in/", json.dumps(body), content_type="application/json"
                    )
                    ok = response.status_code == 201
                else:
                    address = f"10.{number}.{sequence // 250 % 250}.{sequence % 250 + 1}"
                    response = http.post(
                        "/report/?lang=en",
                        {**WEB, "submission": submission_token_new()},
                        REMOTE_ADDR=address,
                    )
                    # the thanks page (with the code), not the form again
                    ok = response.status_code == 200 and b'name="submission"' not in (
                        response.content
                    )
                elapsed = time.perf_counter() - start
                with lock:
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    latencies.append(elapsed)
                    if ok:
                        acknowledged += 1
                    else:
                        errors += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out(f"    answers: {dict(sorted(statuses.items()))}")
    return acknowledged, errors, latencies


def api_load(*, out: Callable[[str], None], quick: bool = False) -> None:
    """Helpline calls through the API against the web form, in the same run; zero lost."""
    run = secrets.token_hex(4)
    integration, tokens = _setup(run)
    partner, partner_tokens = _partner(run, integration.requested_by)
    seconds = 4.0 if quick else 15.0
    clients = 4
    web_before = Report.objects.filter(channel=Channel.WEB).count()
    kinds = ("web", "api", "referral_in")
    totals: dict[str, dict[str, Any]] = {
        kind: {"ack": 0, "errors": 0, "latencies": [], "seconds": 0.0} for kind in kinds
    }
    for round_, kind in enumerate(kinds * 2):
        out(f"  {kind}: {clients} clients for {seconds:.0f} s ...")
        used = partner_tokens if kind == "referral_in" else tokens
        ack, errors, latencies = _drive(kind, seconds, clients, used, run, out, round_)
        totals[kind]["ack"] += ack
        totals[kind]["errors"] += errors
        totals[kind]["latencies"] += latencies
        totals[kind]["seconds"] += seconds
    api_stored = Report.objects.filter(
        channel=Channel.HELPLINE, channel_reference__startswith=f"api:{integration.pk}:bench-{run}"
    ).count()
    web_stored = Report.objects.filter(channel=Channel.WEB).count() - web_before
    referral_stored = Report.objects.filter(
        channel=Channel.PARTNER, channel_reference__startswith=f"api:{partner.pk}:bench-{run}"
    ).count()
    api_rate = totals["api"]["ack"] / totals["api"]["seconds"]
    web_rate = totals["web"]["ack"] / totals["web"]["seconds"]
    referral_rate = totals["referral_in"]["ack"] / totals["referral_in"]["seconds"]
    lost = (
        (totals["api"]["ack"] - api_stored)
        + (totals["web"]["ack"] - web_stored)
        + (totals["referral_in"]["ack"] - referral_stored)
    )
    result = BenchResult(
        name="api_load",
        database=database_label(),
        figures={
            "clients": clients,
            "api_reports_per_s": api_rate,
            "web_reports_per_s": web_rate,
            "api_p95_ms": percentile(totals["api"]["latencies"], 0.95) * 1000,
            "web_p95_ms": percentile(totals["web"]["latencies"], 0.95) * 1000,
            "referral_in_reports_per_s": referral_rate,
            "referral_in_p95_ms": percentile(totals["referral_in"]["latencies"], 0.95) * 1000,
            "referral_in_acknowledged": totals["referral_in"]["ack"],
            "referral_in_stored": referral_stored,
            "api_acknowledged": totals["api"]["ack"],
            "api_stored": api_stored,
            "web_acknowledged": totals["web"]["ack"],
            "web_stored": web_stored,
            "errors": sum(totals[kind]["errors"] for kind in kinds),
            "lost": lost,
        },
        ratio=api_rate / web_rate if web_rate else None,
        ratio_label="api/web",
        target="zero lost",
        passed=lost == 0,
    )
    record(result, out)


BENCHMARKS = {"api_load": api_load}
