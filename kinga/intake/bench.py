"""Benchmark: reports under load, Kinga against a bare WSGI app doing the same INSERT.

Two gunicorn servers (2 sync workers each) run on loopback against one fresh database:
Kinga itself, and `bare_app`, which stores each request as one row with one INSERT. A load
generator in a separate process (32 client threads, http.client, a new connection per
request as a gateway makes) drives them in turns with whole USSD sessions (dial, then seven
answers) and web-form posts, in the same mix. Reported: requests/s, p50 and p99 latency,
the Kinga/bare ratio, and reports acknowledged against reports stored (anything
acknowledged but not stored is lost).

`python -m kinga.intake.bench setup|loadgen|count` are the helper processes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from kinga.lib import loadgen
from kinga.lib.bench import BenchResult, percentile, record

CLIENTS = 32
KEY = "bench-callback-key"
USSD_ANSWERS = ["1", "1", "1", "1", "2", "2", "1"]  # en, exploitation, Mombasa, 1st, 6-11, no, yes
WEB_EVERY = 4  # of every four visits, one is a web report and three are USSD sessions
ROUNDS = 6  # turns per server
SLICE = 5.0  # measured seconds per turn
RAMP = 0.5  # seconds over which the clients of a turn start
BARE_TABLE = "bench_bare_insert"


# --- the bare reference app ------------------------------------------------------------

_bare_connection: Any = None


def _bare_connect() -> Any:
    import dj_database_url

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    if "sqlite" in config["ENGINE"]:
        import sqlite3

        connection = sqlite3.connect(config["NAME"], isolation_level=None, timeout=20)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return ("sqlite", connection)
    import psycopg

    pg_connection: Any = psycopg.connect(
        host=config["HOST"],
        port=config["PORT"],
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
        autocommit=True,
    )
    return ("postgresql", pg_connection)


def bare_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Store the request body as one row with one INSERT, then answer: the floor of any app."""
    global _bare_connection
    if _bare_connection is None:
        _bare_connection = _bare_connect()
    kind, connection = _bare_connection
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
    if kind == "sqlite":
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            # the bench's fixed table name; values are parameters
            f"INSERT INTO {BARE_TABLE} (received_at, body) VALUES (?, ?)",  # noqa: S608
            (time.time(), body),
        )
        connection.execute("COMMIT")
    else:
        connection.execute(
            # the bench's fixed table name; values are parameters
            f"INSERT INTO {BARE_TABLE} (received_at, body) VALUES (%s, %s)",  # noqa: S608
            (time.time(), body),
        )
    if "text=" in body:  # a USSD screen: the next question, or thanks after the last answer
        text = body.partition("text=")[2].partition("&")[0]
        last = text.count("%2A") >= len(USSD_ANSWERS) - 1
        reply = b"END Thank you" if last else b"CON Next question"
    else:
        reply = b'<p id="follow-up-code">X</p>'
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(reply)))])
    return [reply]


# --- helper processes ------------------------------------------------------------------


def _setup() -> None:
    """Give the fresh database the agencies of the coast and the bare app's table."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinga.settings")
    django.setup()
    from django.db import connection

    from kinga.accounts.models import Agency, AgencyKind
    from kinga.places.selectors import coastal_counties

    for county in coastal_counties():
        for kind, label in (
            (AgencyKind.CHILDRENS_SERVICES, "Children's Services"),
            (AgencyKind.NGO, "Child Rights Network"),
        ):
            Agency.objects.get_or_create(
                name=f"{label} {county.name}", defaults={"kind": kind, "county": county}
            )
    key = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id {key}, received_at DOUBLE PRECISION,"
            " body TEXT)"
        )


def _count() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinga.settings")
    django.setup()
    from django.db import connection

    from kinga.intake.models import Channel, Report

    with connection.cursor() as cursor:
        # the bench's fixed table name; values are parameters
        cursor.execute(f"SELECT COUNT(*) FROM {BARE_TABLE}")  # noqa: S608
        row = cursor.fetchone()
    print(
        json.dumps(
            {
                "ussd": Report.objects.filter(channel=Channel.USSD, channel_complete=True).count(),
                "web": Report.objects.filter(channel=Channel.WEB).count(),
                "bare_rows": int(row[0]) if row else 0,
            }
        )
    )


def _request(port: int, path: str, form: dict[str, str]) -> tuple[float, int, str]:
    answer = loadgen.send(
        port,
        path,
        body=urllib.parse.urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return answer.seconds, answer.status, answer.text


def _session_requests() -> Iterator[tuple[str, str, dict[str, str]]]:
    """Yield the requests of one caller's next visit: a web report, or a whole USSD session."""
    session = f"ATUid_{secrets.token_hex(8)}"
    # load timing and fake phone numbers, not secrets
    phone = f"+2547{random.randint(10000000, 29999999)}"  # noqa: S311
    answers: list[str] = []
    for step in range(len(USSD_ANSWERS) + 1):
        form = {
            "sessionId": session,
            "serviceCode": "*384*1234#",
            "phoneNumber": phone,
            "networkCode": "63902",
            "text": "*".join(answers),
        }
        kind = "ussd_last" if step == len(USSD_ANSWERS) else "ussd"
        yield kind, f"/channels/africastalking/ussd/?key={KEY}", form
        if step < len(USSD_ANSWERS):
            answers.append(USSD_ANSWERS[step])


def _submission_token() -> str:
    """Return a token as the form issues it, signed with the servers' secret.

    The load generator shares the servers' environment, secret included, and fetches no
    form page first: a reporter's GET of the form is not what is measured.
    """
    from django.core import signing

    from kinga.intake.submission import SUBMISSION_SALT

    secret = os.environ["KINGA_SECRET_KEY"]
    signer = signing.TimestampSigner(key=secret, fallback_keys=[], salt=SUBMISSION_SALT)
    return signer.sign(secrets.token_urlsafe(18))


def _web_request() -> tuple[str, str, dict[str, str]]:
    return (
        "web",
        "/report/?lang=en",
        {
            "lang": "en",
            "submission": _submission_token(),
            "categories": "sexual_exploitation",
            "narrative": "Girls taken to a bar in Mtwapa at night by a man",
            "danger_now": "no",
            "reporter_relation": "neighbour",
            "county": "",
        },
    )


def _loadgen(port: int, duration: float, clients: int, ramp: float) -> None:
    """Drive one server; print the figures of the measured window as JSON.

    Each client starts at a random moment within `ramp` seconds and at a random point of
    its cycle (web or USSD), so the clients do not move in step: 32 callers who all dial
    at the same instant and answer in the same rhythm are not what a gateway sends. The
    window starts once every client runs and lasts `duration` seconds; a request counts in
    it if it started inside it. Acknowledged reports are counted over the whole run, since
    everything acknowledged must be stored.
    """
    started = time.perf_counter()
    window_start = started + ramp
    deadline = window_start + duration
    latencies: dict[str, list[float]] = {"ussd": [], "ussd_last": [], "web": []}
    counts = {"requests": 0, "errors": 0, "answered": 0, "ussd_ack": 0, "web_ack": 0}
    lock = threading.Lock()

    def client() -> None:
        mine: dict[str, list[float]] = {kind: [] for kind in latencies}
        errors = requests = answered = ussd_ack = web_ack = 0
        # load timing and fake phone numbers, not secrets
        visits = random.randrange(WEB_EVERY)  # noqa: S311
        # load timing and fake phone numbers, not secrets
        time.sleep(random.uniform(0, ramp))  # noqa: S311
        while time.perf_counter() < deadline:
            visits += 1
            plan = [_web_request()] if visits % WEB_EVERY == 0 else _session_requests()
            for kind, path, form in plan:
                begun = time.perf_counter()
                if begun >= deadline:
                    break
                elapsed, status, text = _request(port, path, form)
                ok = status == 200
                if kind == "web":
                    ok = ok and "follow-up-code" in text
                    web_ack += ok
                elif kind == "ussd_last":
                    ok = ok and text.startswith("END Thank you")
                    ussd_ack += ok
                else:  # a screen before the last asks the next question
                    ok = ok and text.startswith("CON ")
                answered += ok
                if begun >= window_start:
                    mine[kind].append(elapsed)
                    requests += 1
                    errors += not ok
                if not ok:
                    break
        with lock:
            for kind, values in mine.items():
                latencies[kind].extend(values)
            counts["requests"] += requests
            counts["errors"] += errors
            counts["answered"] += answered
            counts["ussd_ack"] += ussd_ack
            counts["web_ack"] += web_ack

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                **counts,
                "seconds": duration,
                "latencies_ms": {
                    kind: [round(value * 1000, 2) for value in values]
                    for kind, values in latencies.items()
                },
            }
        )
    )


# --- the benchmark ---------------------------------------------------------------------


def _database(scratch: str) -> Iterator[str]:
    """Yield a DATABASE_URL for a fresh database of the configured kind; drop it after."""
    from django.conf import settings

    config = settings.DATABASES["default"]
    if "sqlite" in str(config["ENGINE"]):
        yield f"sqlite:///{scratch}/bench.sqlite3"
        return
    import psycopg

    name = f"kinga_bench_{os.getpid()}"
    admin = dict(
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**admin) as connection:  # type: ignore[arg-type]
        connection.execute(f'CREATE DATABASE "{name}"')
    user = urllib.parse.quote(str(config.get("USER") or ""))
    password = urllib.parse.quote(str(config.get("PASSWORD") or ""))
    credentials = f"{user}:{password}@" if password else f"{user}@"
    try:
        yield f"postgres://{credentials}{config.get('HOST')}:{config.get('PORT')}/{name}"
    finally:
        with psycopg.connect(**admin) as connection:  # type: ignore[arg-type]
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drive(port: int, seconds: float, clients: int, environment: dict[str, str]) -> Any:
    arguments = ["-m", "kinga.intake.bench", "loadgen", str(port), str(seconds), str(clients)]
    return json.loads(loadgen.python([*arguments, str(RAMP)], environment))


def _summary(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool the slices of one server: rate over all windows, percentiles over all requests."""
    seconds = sum(part["seconds"] for part in slices)
    pooled: dict[str, list[float]] = {}
    for part in slices:
        for kind, values in part["latencies_ms"].items():
            pooled.setdefault(kind, []).extend(values)
    every = [value for values in pooled.values() for value in values]
    return {
        "requests": sum(part["requests"] for part in slices),
        "errors": sum(part["errors"] for part in slices),
        "answered": sum(part["answered"] for part in slices),
        "ussd_ack": sum(part["ussd_ack"] for part in slices),
        "web_ack": sum(part["web_ack"] for part in slices),
        "per_second": sum(part["requests"] for part in slices) / seconds,
        "p50_ms": percentile(every, 0.50),
        "p99_ms": percentile(every, 0.99),
        "web_p99_ms": percentile(pooled.get("web", []), 0.99),
    }


def variant_environment(text: str) -> dict[str, str]:
    """Read KINGA_BENCH_VARIANT ("NAME=value NAME=value"): the settings an A/B variant changes."""
    variant: dict[str, str] = {}
    for pair in text.split():
        name, equals, value = pair.partition("=")
        if not equals or not name.isidentifier() or not name.isupper():
            raise ValueError(f"KINGA_BENCH_VARIANT takes NAME=value pairs, not {pair!r}")
        variant[name] = value
    return variant


def intake_load(*, out: Callable[[str], None], quick: bool = False) -> None:
    """Run both servers under the same load; record rates, latencies and losses.

    Both servers stay up for the whole run and take turns: ROUNDS rounds of one SLICE
    each, the order alternating (Kinga, bare, bare, Kinga, ...). On a shared machine whose
    speed drifts by 2x within minutes, turns this short put both under the same conditions;
    one long run of each would compare two different machines.

    With KINGA_BENCH_VARIANT set (for example `KINGA_PG_PREPARE_THRESHOLD=0`), a third
    server, Kinga with those settings, takes the same turns: an A/B of one change under
    the same conditions. The targets are judged on Kinga as configured.
    """
    from kinga.lib.bench import database_label

    variant = variant_environment(os.environ.get("KINGA_BENCH_VARIANT", ""))
    rounds, seconds = (2, 2.0) if quick else (ROUNDS, SLICE)
    with tempfile.TemporaryDirectory() as scratch:
        for url in _database(scratch):
            environment = dict(
                os.environ,
                DATABASE_URL=url,
                KINGA_VAR_DIR=str(Path(scratch) / "var"),
                KINGA_AT_CALLBACK_KEY=KEY,
                KINGA_SECRET_KEY=secrets.token_urlsafe(40),
                KINGA_REPORT_RATE_LIMIT="100000000/3600",
                KINGA_LOG_LEVEL="WARNING",
                KINGA_SMS_BACKEND="file",
                DJANGO_SETTINGS_MODULE="kinga.settings",
            )
            out("  migrating a fresh database ...")
            loadgen.python(["-m", "kinga", "migrate", "--verbosity", "0"], environment)
            loadgen.python(["-m", "kinga.intake.bench", "setup"], environment)
            apps = {"kinga": "kinga.wsgi:application", "bare": f"{__name__}:bare_app"}
            environments = {label: environment for label in apps}
            if variant:
                apps["variant"] = "kinga.wsgi:application"
                environments["variant"] = {**environment, **variant}
                out(f"  variant: Kinga with {' '.join(f'{k}={v}' for k, v in variant.items())}")
            ports = {label: loadgen.free_port() for label in apps}
            servers = {
                label: loadgen.gunicorn(apps[label], ports[label], environments[label])
                for label in apps
            }
            slices: dict[str, list[dict[str, Any]]] = {label: [] for label in apps}
            try:
                for label, server in servers.items():
                    loadgen.wait_listening(ports[label], server)
                    # warm up both workers (imports, connections) outside the measurement
                    _drive(ports[label], 1.0, 4, environment)
                before = json.loads(
                    loadgen.python(["-m", "kinga.intake.bench", "count"], environment)
                )
                out(
                    f"  {rounds} rounds of {seconds:.0f} s per server, taking turns,"
                    f" {CLIENTS} clients ..."
                )
                for number in range(rounds):
                    order = list(apps) if number % 2 == 0 else list(reversed(apps))
                    for label in order:
                        part = _drive(ports[label], seconds, CLIENTS, environment)
                        slices[label].append(part)
                        turn = _summary([part])
                        out(
                            f"    {label:7} turn {number + 1}: {turn['per_second']:7.1f} req/s"
                            f"  p50 {turn['p50_ms']:6.1f} ms  p99 {turn['p99_ms']:6.1f} ms"
                        )
                after = json.loads(
                    loadgen.python(["-m", "kinga.intake.bench", "count"], environment)
                )
            finally:
                for server in servers.values():
                    server.terminate()
                for server in servers.values():
                    server.wait(timeout=30)
    kinga, bare = _summary(slices["kinga"]), _summary(slices["bare"])
    stored = {key: after[key] - before[key] for key in after}
    acknowledged = kinga["ussd_ack"] + kinga["web_ack"]
    variant_figures: dict[str, Any] = {}
    if variant:
        other = _summary(slices["variant"])
        acknowledged += other["ussd_ack"] + other["web_ack"]  # both store in the one database
        variant_figures = {
            "variant": " ".join(f"{k}={v}" for k, v in variant.items()),
            "variant_req_s": other["per_second"],
            "variant_p99_ms": other["p99_ms"],
            "variant_errors": other["errors"],
            "variant_ratio": other["per_second"] / bare["per_second"],
            "variant_over_kinga": other["per_second"] / kinga["per_second"],
        }
    stored_reports = stored["ussd"] + stored["web"]
    lost = max(0, acknowledged - stored_reports)
    bare_acknowledged = bare["answered"]  # the bare app stores every request it answers
    ratio = kinga["per_second"] / bare["per_second"]
    passed = ratio >= 0.35 and kinga["p99_ms"] <= 100 and lost == 0
    record(
        BenchResult(
            name="intake_load",
            database=database_label(),
            figures={
                "clients": CLIENTS,
                "seconds_each": rounds * seconds,
                "kinga_req_s": kinga["per_second"],
                "kinga_p50_ms": kinga["p50_ms"],
                "kinga_p99_ms": kinga["p99_ms"],
                "kinga_web_p99_ms": kinga["web_p99_ms"],
                "kinga_errors": kinga["errors"],
                "bare_req_s": bare["per_second"],
                "bare_p50_ms": bare["p50_ms"],
                "bare_p99_ms": bare["p99_ms"],
                "bare_errors": bare["errors"],
                "bare_acknowledged": bare_acknowledged,
                "bare_stored": stored["bare_rows"],
                "acknowledged": acknowledged,
                "stored": stored_reports,
                "lost": lost,
                **variant_figures,
            },
            ratio=ratio,
            ratio_label="kinga/bare",
            target="ratio>=0.35, p99<=100ms, lost=0",
            passed=passed,
        ),
        out,
    )


BENCHMARKS = {"intake_load": intake_load}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["setup", "count", "loadgen"])
    parser.add_argument("port", nargs="?", type=int, default=0)
    parser.add_argument("duration", nargs="?", type=float, default=20.0)
    parser.add_argument("clients", nargs="?", type=int, default=CLIENTS)
    parser.add_argument("ramp", nargs="?", type=float, default=RAMP)
    arguments = parser.parse_args()
    if arguments.command == "setup":
        _setup()
    elif arguments.command == "count":
        _count()
    else:
        _loadgen(arguments.port, arguments.duration, arguments.clients, arguments.ramp)


if __name__ == "__main__":
    main()
