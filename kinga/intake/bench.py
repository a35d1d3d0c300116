"""Benchmark: reports under load, Kinga against a bare WSGI app doing the same INSERT.

Two gunicorn servers (2 sync workers each) run on loopback against one fresh database:
Kinga itself, and `bare_app`, which stores each request as one row with one INSERT. A load
generator in a separate process (32 client threads, http.client) drives each for a fixed
time with whole USSD sessions (dial, then seven answers) and web-form posts, in the same
mix. Reported: requests/s, p50 and p99 latency, the Kinga/bare ratio, and reports
acknowledged against reports stored (anything acknowledged but not stored is lost).

`python -m kinga.intake.bench setup|loadgen|count` are the helper processes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from kinga.lib.bench import BenchResult, percentile, record

CLIENTS = 32
KEY = "bench-callback-key"
USSD_ANSWERS = ["1", "1", "1", "1", "2", "2", "1"]  # en, exploitation, Mombasa, 1st, 6-11, no, yes
WEB_EVERY = 4  # one web report for every four USSD sessions
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
            f"INSERT INTO {BARE_TABLE} (received_at, body) VALUES (?, ?)",  # noqa: S608
            (time.time(), body),
        )
        connection.execute("COMMIT")
    else:
        connection.execute(
            f"INSERT INTO {BARE_TABLE} (received_at, body) VALUES (%s, %s)",  # noqa: S608
            (time.time(), body),
        )
    reply = b"END Thank you" if "text=" in body else b'<p id="follow-up-code">X</p>'
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
    body = urllib.parse.urlencode(form)
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        status = response.status
    except OSError:
        return time.perf_counter() - start, 0, ""
    finally:
        connection.close()
    return time.perf_counter() - start, status, text


def _loadgen(port: int, duration: float, clients: int) -> None:
    """Drive one server for `duration` seconds; print the figures as JSON."""
    deadline = time.perf_counter() + duration
    latencies: list[float] = []
    counts = {"requests": 0, "errors": 0, "ussd_ack": 0, "web_ack": 0}
    lock = threading.Lock()

    def client(number: int) -> None:
        mine: list[float] = []
        errors = requests = ussd_ack = web_ack = 0
        sessions = 0
        while time.perf_counter() < deadline:
            sessions += 1
            if sessions % WEB_EVERY == 0:
                elapsed, status, text = _request(
                    port,
                    "/report/?lang=en",
                    {
                        "lang": "en",
                        "submission": secrets.token_urlsafe(16),
                        "categories": "sexual_exploitation",
                        "narrative": "Girls taken to a bar in Mtwapa at night by a man",
                        "danger_now": "no",
                        "reporter_relation": "neighbour",
                        "county": "",
                    },
                )
                mine.append(elapsed)
                requests += 1
                if status == 200 and "follow-up-code" in text:
                    web_ack += 1
                else:
                    errors += 1
                continue
            session = f"ATUid_{secrets.token_hex(8)}"
            phone = f"+2547{random.randint(10000000, 29999999)}"  # noqa: S311
            path = f"/channels/africastalking/ussd/?key={KEY}"
            answers: list[str] = []
            for step in range(len(USSD_ANSWERS) + 1):
                if time.perf_counter() >= deadline:
                    break
                form = {
                    "sessionId": session,
                    "serviceCode": "*384*1234#",
                    "phoneNumber": phone,
                    "networkCode": "63902",
                    "text": "*".join(answers),
                }
                elapsed, status, text = _request(port, path, form)
                mine.append(elapsed)
                requests += 1
                if status != 200:
                    errors += 1
                    break
                if step == len(USSD_ANSWERS) and text.startswith("END Thank you"):
                    ussd_ack += 1
                if step < len(USSD_ANSWERS):
                    answers.append(USSD_ANSWERS[step])
        with lock:
            latencies.extend(mine)
            counts["requests"] += requests
            counts["errors"] += errors
            counts["ussd_ack"] += ussd_ack
            counts["web_ack"] += web_ack

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                **counts,
                "seconds": wall,
                "per_second": counts["requests"] / wall,
                "p50_ms": percentile(latencies, 0.50) * 1000,
                "p99_ms": percentile(latencies, 0.99) * 1000,
            }
        )
    )


# --- the benchmark ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def _gunicorn(app: str, port: int, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        app,
    ]
    return subprocess.Popen(command, env=environment)  # noqa: S603


def _python(arguments: list[str], environment: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, *arguments], env=environment, check=True, capture_output=True, text=True
    )
    return result.stdout


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


def intake_load(*, out: Callable[[str], None], quick: bool = False) -> None:
    """Run both servers under the same load; record rates, latencies and losses."""
    from kinga.lib.bench import database_label

    duration = 5.0 if quick else 20.0
    with tempfile.TemporaryDirectory() as scratch:
        for url in _database(scratch):
            environment = dict(
                os.environ,
                DATABASE_URL=url,
                KINGA_VAR_DIR=str(Path(scratch) / "var"),
                KINGA_AT_CALLBACK_KEY=KEY,
                KINGA_REPORT_RATE_LIMIT="100000000/3600",
                KINGA_LOG_LEVEL="WARNING",
                KINGA_SMS_BACKEND="file",
                DJANGO_SETTINGS_MODULE="kinga.settings",
            )
            out("  migrating a fresh database ...")
            _python(["-m", "kinga", "migrate", "--verbosity", "0"], environment)
            _python(["-m", "kinga.intake.bench", "setup"], environment)
            figures: dict[str, dict[str, Any]] = {}
            for label, app in (
                ("kinga", "kinga.wsgi:application"),
                ("bare", f"{__name__}:bare_app"),
            ):
                port = _free_port()
                server = _gunicorn(app, port, environment)
                try:
                    _wait_listening(port, server)
                    # warm up both workers (imports, connections) outside the measurement
                    _python(
                        ["-m", "kinga.intake.bench", "loadgen", str(port), "1", "4"], environment
                    )
                    before = json.loads(_python(["-m", "kinga.intake.bench", "count"], environment))
                    out(f"  driving {label} for {duration:.0f} s with {CLIENTS} clients ...")
                    figures[label] = json.loads(
                        _python(
                            [
                                "-m",
                                "kinga.intake.bench",
                                "loadgen",
                                str(port),
                                str(duration),
                                str(CLIENTS),
                            ],
                            environment,
                        )
                    )
                    after = json.loads(_python(["-m", "kinga.intake.bench", "count"], environment))
                    figures[label]["stored"] = {k: after[k] - before[k] for k in after}
                finally:
                    server.terminate()
                    server.wait(timeout=30)
    kinga, bare = figures["kinga"], figures["bare"]
    acknowledged = kinga["ussd_ack"] + kinga["web_ack"]
    stored_reports = kinga["stored"]["ussd"] + kinga["stored"]["web"]
    lost = max(0, acknowledged - stored_reports)
    ratio = kinga["per_second"] / bare["per_second"]
    passed = ratio >= 0.35 and kinga["p99_ms"] <= 100 and lost == 0
    record(
        BenchResult(
            name="intake_load",
            database=database_label(),
            figures={
                "clients": CLIENTS,
                "kinga_req_s": kinga["per_second"],
                "kinga_p50_ms": kinga["p50_ms"],
                "kinga_p99_ms": kinga["p99_ms"],
                "kinga_errors": kinga["errors"],
                "bare_req_s": bare["per_second"],
                "bare_p50_ms": bare["p50_ms"],
                "bare_p99_ms": bare["p99_ms"],
                "bare_acknowledged": bare["requests"] - bare["errors"],
                "bare_stored": bare["stored"]["bare_rows"],
                "acknowledged": acknowledged,
                "stored": stored_reports,
                "lost": lost,
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
    arguments = parser.parse_args()
    if arguments.command == "setup":
        _setup()
    elif arguments.command == "count":
        _count()
    else:
        _loadgen(arguments.port, arguments.duration, arguments.clients)


if __name__ == "__main__":
    main()
