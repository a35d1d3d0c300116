"""Issue 22 point 3: processes die in the middle of a burst of reports, and nothing
acknowledged is lost.

gunicorn (2 sync workers) serves Kinga on loopback and `kinga worker` runs beside it; a load
generator (`tools/soak.py drive`, its own process) sends USSD sessions, SMS, web reports
(some of a child in danger: an alert and its tasks), ODK Collect submissions, the API's
helpline calls and partners' referrals, and staff pages, as fast as they are answered.

(a) Mid-burst, the web workers are killed with SIGKILL (gunicorn starts new ones) and so is
    the task worker (started again), twice each. The suite's own database (SQLite or
    PostgreSQL, whichever the suite runs on).
(b) Mid-burst, PostgreSQL itself is stopped immediately and started again, in a throwaway
    cluster of its own (`tests/test_crash_postgres.py`, which uses the parts below).

Clients may see errors while a process is down. Afterwards, every report that got an
acknowledgement is stored (looked up by its own reference), the worker has drained its
outbox (no task due and not done, none failed, every report routed, every SMS reply sent),
and a task a killed worker had claimed is taken over after its lease (the drain runs as if
ten-plus minutes later) and run: the routing is idempotent, and an SMS is handed to the
gateway at most once more per kill of the worker (the kill can fall between the gateway's
answer and the commit that records it).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from kinga.lib import loadgen
from tools import soak

pytestmark = pytest.mark.crash

BURST = 16.0  # seconds of load, the kills within its first ten
CLIENTS = 6
SOAK = str(Path(soak.__file__))


def database_url(settings: dict[str, Any]) -> str:
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = urllib.parse.quote(settings.get("USER") or "")
    password = urllib.parse.quote(settings.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


class Burst:
    """The servers, the worker and the load generator of one test, and what they did."""

    def __init__(self, environment: dict[str, str], world: dict[str, Any], scratch: Path):
        self.environment = environment
        self.world = world
        self.scratch = scratch
        self.port = loadgen.free_port()
        self.server = loadgen.gunicorn("kinga.wsgi:application", self.port, environment)
        self.worker = soak.start_worker(environment, scratch / "worker.log")
        self.worker_kills = 0
        self.web_kills = 0
        self.driver: subprocess.Popen[bytes] | None = None
        self.warm_acknowledged: dict[str, list[str]] = {}
        self.warm_errors: dict[str, int] = {}

    def start_load(self) -> None:
        """Warm both web workers up (every channel answered once or more: imports, the
        API's schema, connections), then start the burst in its own process."""
        loadgen.wait_listening(self.port, self.server)
        warmed = soak.warm(self.port, self.world)
        # a warm-up visit may fail on a loaded machine; each channel is sent twice, and
        # `assert_nothing_lost` wants every channel acknowledged at least once
        self.warm_errors = warmed.errors
        self.warm_acknowledged = warmed.acknowledged
        (self.scratch / "world.json").write_text(json.dumps(self.world))
        # this interpreter running the soak's load generator: fixed arguments
        self.driver = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                SOAK,
                "drive",
                str(self.port),
                str(self.scratch / "world.json"),
                str(self.scratch / "tally.json"),
                "--seconds",
                str(BURST),
                "--clients",
                str(CLIENTS),
            ],
            env=self.environment,
        )
        # the load generator's own start (Django's set-up) before the kills are timed
        deadline = time.monotonic() + 60
        started = self.scratch / "tally.json.started"
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    def kill_web_workers(self) -> None:
        workers = loadgen.children_of(self.server.pid)
        assert workers, "gunicorn has no workers to kill"
        for pid in workers:
            assert loadgen.kill_hard(pid)
        self.web_kills += 1

    def kill_worker(self) -> None:
        assert loadgen.kill_hard(self.worker.pid)
        self.worker.wait(timeout=10)
        self.worker_kills += 1

    def restart_worker(self) -> None:
        self.worker = soak.start_worker(self.environment, self.scratch / "worker.log")

    def finish(self) -> dict[str, Any]:
        """Wait for the burst's end; return its tally, the warm-up's acknowledgements in."""
        assert self.driver is not None
        assert self.driver.wait(timeout=BURST + 120) == 0
        tally: dict[str, Any] = json.loads((self.scratch / "tally.json").read_text())
        for channel, references in self.warm_acknowledged.items():
            tally["acknowledged"][channel] += references
        return tally

    def answers_again(self, seconds: float = 120) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if loadgen.send(self.port, "/", method="GET").status in (200, 302):
                return True
            time.sleep(1)
        return False

    def wait_drained(self, due: Callable[[], int], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and due():
            time.sleep(0.5)

    def stop(self) -> None:
        if self.driver is not None and self.driver.poll() is None:
            self.driver.kill()
            self.driver.wait(timeout=10)
        loadgen.stop(self.server)
        loadgen.stop(self.worker)


def _at(moments: list[tuple[float, Callable[[], None]]]) -> None:
    started = time.monotonic()
    for moment, action in moments:
        pause = started + moment - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        action()


def assert_nothing_lost(
    checked: dict[str, Any], tally: dict[str, Any], sends: dict[str, int], kills: int
) -> None:
    channels = checked["channels"]
    # what the clients saw (errors are allowed while a process is down: nothing lost is not)
    print(json.dumps({"errors": tally["errors"], "latency": tally["latency"]}, indent=1))
    # every intake channel had reports acknowledged (the warm-up makes sure of it), and
    # the burst itself was answered
    for channel in ("ussd", "sms", "web", "odk", "api_call", "api_referral"):
        assert channels[channel]["acknowledged"] > 0, (channel, tally["errors"])
    assert tally["requests"] > 0
    lost = {name: c["missing"] for name, c in channels.items() if c["lost"]}
    assert checked["lost"] == 0, f"acknowledged but not stored: {lost}"
    outbox = checked["outbox"]
    assert outbox["tasks_due_not_done"] == 0, outbox
    assert outbox["tasks_failed"] == 0, outbox
    assert outbox["reports_not_routed"] == 0, outbox
    assert outbox["sms_not_sent"] == 0, outbox
    # every SMS reply reached the gateway; again only where a kill of the worker fell
    # between the gateway's answer and the commit recording it
    assert len(sends) == outbox["sms_sent"], (len(sends), outbox)
    again = sum(count - 1 for count in sends.values())
    assert again <= kills, f"{again} SMS handed to the gateway twice with {kills} worker kills"


@pytest.mark.django_db(transaction=True)
def test_web_and_task_workers_killed_mid_burst_lose_nothing(tmp_path: Path) -> None:
    soak.data_ensure()
    world = soak.prepare(secrets.token_hex(4))
    environment = soak.server_environment(database_url(connection.settings_dict), tmp_path / "var")
    connections.close_all()
    burst = Burst(environment, world, tmp_path)
    try:
        burst.start_load()
        _at(
            [
                (2.0, burst.kill_web_workers),
                (2.5, burst.kill_worker),
                (4.0, burst.restart_worker),
                (7.0, burst.kill_web_workers),
                (7.5, burst.kill_worker),
                (8.5, burst.restart_worker),
            ]
        )
        tally = burst.finish()
        # gunicorn started new workers each time: the server still answers (on a loaded
        # machine a request may first wait out the 30 s client timeout behind a long write)
        assert burst.answers_again(), "the server did not answer again within two minutes"
        burst.wait_drained(soak.due_count)
    finally:
        burst.stop()
    assert burst.web_kills == 2 and burst.worker_kills == 2
    soak.drain(environment, ahead_minutes=15)
    checked = soak.verify(world, tally["acknowledged"])
    assert_nothing_lost(checked, tally, soak.sms_sends(tmp_path / "var" / "sms"), kills=2)
