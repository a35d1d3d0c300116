"""Issue 22 point 3 (b): PostgreSQL restarted in the middle of a burst of reports, and nothing
acknowledged is lost.

Always PostgreSQL, whatever database the suite runs on: the test makes a throwaway cluster
with the binaries of /usr/lib/postgresql (initdb on a free port in a temporary directory, as
the `postgres` user when run as root, exactly as `.ci/run` does), its schema straight from
the models (`tools/soak.py prepare --fast-schema`: replaying every migration would take
minutes), and runs gunicorn (2 workers) and `kinga worker` on it. Mid-burst,
`pg_ctl restart -m immediate` kills every PostgreSQL process (no checkpoint, no goodbye to
the clients) and starts it again, replaying the WAL. Skipped only where no PostgreSQL
binaries exist (CI installs them).

Clients see errors while the database is away; the web workers reconnect on their next
request, and the same task worker process carries on (it waits out database errors rather
than dying). Afterwards, as in `tests/test_crash.py`: every acknowledged report stored,
the outbox drained, every SMS reply sent (at most once more, if the restart fell between the
gateway's answer and the commit recording it).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kinga.lib import loadgen
from tests.test_crash import SOAK, Burst, _at, assert_nothing_lost
from tools import soak

pytestmark = pytest.mark.crash


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Cluster:
    def __init__(self, binaries: Path, home: Path, port: int) -> None:
        self.binaries, self.home, self.port = binaries, home, port
        self.data = home / "data"

    def run(self, tool: str, *arguments: str) -> None:
        """Run one of PostgreSQL's tools. Its output (and a server it starts: pg_ctl's
        restart hands the server its own stdout) goes to a file, never to a pipe that
        nobody would read once the tool returns."""
        with (self.home / "tools.log").open("ab") as log:
            # PostgreSQL's own binaries with arguments built here
            subprocess.run(  # noqa: S603
                _as_postgres([str(self.binaries / tool), *arguments]),
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=120,
            )

    def restart_immediately(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "restart")


@pytest.fixture
def throwaway_postgres() -> Iterator[Cluster]:
    """Yield a PostgreSQL cluster made for this test, with an empty database kinga_crash."""
    binaries = _pg_bin()
    if binaries is None:
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql")
    home = Path(tempfile.mkdtemp(prefix="kinga-crash-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(home, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(binaries, home, loadgen.free_port())
    options = f"-p {cluster.port} -k {home} -c listen_addresses=127.0.0.1"
    try:
        cluster.run("initdb", "-D", str(cluster.data), "-U", "kinga", "--auth=trust", "-E", "UTF8")
        cluster.run("pg_ctl", "-D", str(cluster.data), "-o", options, "-w", "start")
        cluster.run(
            "createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "kinga", "kinga_crash"
        )
        yield cluster
    finally:
        try:
            if (cluster.data / "postmaster.pid").exists():
                cluster.run("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(home, ignore_errors=True)


def test_postgresql_restarted_mid_burst_loses_nothing(
    tmp_path: Path, throwaway_postgres: Cluster
) -> None:
    cluster = throwaway_postgres
    url = f"postgres://kinga@127.0.0.1:{cluster.port}/kinga_crash"
    environment = soak.server_environment(url, tmp_path / "var")
    world = json.loads(
        loadgen.python([SOAK, "prepare", "--fast-schema"], environment).splitlines()[-1]
    )

    def due() -> int:
        try:
            return int(loadgen.python([SOAK, "due"], environment).strip().splitlines()[-1])
        except subprocess.CalledProcessError:
            return 1

    restarts = []
    burst = Burst(environment, world, tmp_path)
    try:
        burst.start_load()
        _at([(3.0, cluster.restart_immediately), (3.0, lambda: restarts.append(1))])
        tally = burst.finish()
        assert restarts == [1]
        # the same worker process carried on once the database was back
        assert burst.worker.poll() is None, (tmp_path / "worker.log").read_text()
        burst.wait_drained(due)
    finally:
        burst.stop()
    soak.drain(environment, ahead_minutes=15)
    (tmp_path / "acknowledged.json").write_text(json.dumps(tally["acknowledged"]))
    checked = json.loads(
        loadgen.python(
            [SOAK, "verify", str(tmp_path / "world.json"), str(tmp_path / "acknowledged.json")],
            environment,
        ).splitlines()[-1]
    )
    assert_nothing_lost(checked, tally, soak.sms_sends(tmp_path / "var" / "sms"), kills=1)
