"""Parts for driving Kinga over HTTP from outside: servers, helper processes, requests.

The intake benchmark (`kinga bench intake_load`), the soak (`make soak`, `tools/soak.py`)
and the crash tests (`tests/test_crash.py`) each start gunicorn on loopback, run helper
processes with this interpreter and send requests as a gateway, a phone or a browser
would: a new connection per request, a timeout, and a refused or broken connection counted
as an answer of status 0 (never raised), so a load generator keeps going while a server is
killed or its database restarts. Nothing here imports an app.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

GUNICORN_WORKERS = 2


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, server: subprocess.Popen[bytes], *, seconds: float = 60) -> None:
    """Wait until something accepts connections on `port`; raise if `server` stops first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped while starting (exit {server.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def gunicorn(
    app: str,
    port: int,
    environment: Mapping[str, str],
    *,
    workers: int = GUNICORN_WORKERS,
    pid_file: str = "",
    timeout: int = 30,
) -> subprocess.Popen[bytes]:
    """Start gunicorn (sync workers, a deep backlog) serving `app` on loopback `port`."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--timeout",
        str(timeout),
        "--log-level",
        "warning",
    ]
    if pid_file:
        command += ["--pid", pid_file]
    # this interpreter's gunicorn with arguments built here; the app is ours
    return subprocess.Popen([*command, app], env=dict(environment))  # noqa: S603


def python(arguments: list[str], environment: Mapping[str, str], *, timeout: float = 900) -> str:
    """Run this interpreter with `arguments` to the end; return what it printed."""
    # this interpreter with arguments built by the caller from fixed parts
    result = subprocess.run(  # noqa: S603
        [sys.executable, *arguments],
        env=dict(environment),
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result.stdout


def stop(process: subprocess.Popen[bytes], *, seconds: float = 30) -> None:
    """Stop a process this module started: TERM, then KILL if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)


def children_of(pid: int) -> list[int]:
    """Return the pids of the processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def kill_hard(pid: int) -> bool:
    """SIGKILL one process; return whether it was there to kill."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


@dataclass(frozen=True)
class Answer:
    seconds: float
    status: int  # 0: no answer (refused, reset, timed out)
    text: str


def send(
    port: int,
    path: str,
    *,
    method: str = "POST",
    body: bytes | str = b"",
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """Send one request on a new connection, as a gateway does; never raise for the network."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body or None, dict(headers or {}))
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        status = response.status
    except (OSError, http.client.HTTPException):
        return Answer(time.perf_counter() - start, 0, "")
    finally:
        connection.close()
    return Answer(time.perf_counter() - start, status, text)
