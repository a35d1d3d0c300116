"""Benchmark: encrypted field submissions accepted, against the plain web form, in one run.

`collect_ingest` prepares 1,000 field reports as ODK Collect finalises them (each encrypted
under the deployment's key, with one made-up binary attachment of 20 kB), then sends them
one after another through Kinga's WSGI application (`kinga.wsgi.application`, the lean
channel stack, multipart parsing and all) as `POST /odk/key/<token>/submission`. The
reference is the plain web form (`POST /report/`) through the same application in the same
run, in alternating rounds so the machine's load falls on both alike. Reported: each
channel's sustained rate (requests/s), p50 and p99, the ratio field/web, and the
submissions answered 201 against those filed as reports (anything answered but not filed
is lost). Also reported: the server's own costs per submission, measured apart: opening
it (two RSA-2048 private-key operations and AES), and reading the answers.

It writes reports, so it needs a scratch database (a name containing "bench"):

    DATABASE_URL=sqlite:///var/bench.sqlite3 kinga bench collect_ingest
    DATABASE_URL=postgres://kinga@127.0.0.1:55432/kinga_bench kinga bench collect_ingest
"""

from __future__ import annotations

import io
import os
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.test.utils import override_settings

from kinga.cases.bench import _agency, _refuse
from kinga.lib.bench import BenchResult, database_label, percentile, record

SUBMISSIONS = 1000
ROUNDS = 4
ATTACHMENT_BYTES = 20_000
ANSWERS = {
    "started": "2026-12-03T09:15:02.000+03:00",
    "finished": "2026-12-03T09:21:40.000+03:00",
    "categories": "sexual_exploitation",
    "danger_now": "no",
    "county": "1",
    "children_count": "1",
    "age_bands": "12-14",
    "reporter_relation": "neighbour",
    "narrative": "Girls taken to a bar in Mtwapa at night by a man",
}


def _environ(path: str, body: bytes, content_type: str, query: str = "") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_OPENROSA_VERSION": "1.0",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
    }


def _call(environ: dict[str, Any]) -> str:
    from kinga.wsgi import application

    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: object) -> None:
        seen.append(status)

    for _chunk in application(environ, start_response):
        pass
    return seen[0]


def _field_requests(
    token: str,
    count: int,
    *,
    form_id: str = "kinga_field_report",
    answers: dict[str, str] | None = None,
    attachment: bool = True,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return `count` encrypted submissions of a form as Collect posts them, and their
    instanceIDs."""
    from kinga.collect import xforms
    from kinga.collect.encryption import public_key
    from kinga.collect.phone import encrypt_submission, form_xml, submission_body

    built = xforms.form_build(form_id)
    key = public_key().base64
    requests, ids = [], []
    for _index in range(count):
        instance_id = f"uuid:{uuid.uuid4()}"
        sealed = encrypt_submission(
            public_key_b64=key,
            form_id=built.form_id,
            version=built.version,
            instance_id=instance_id,
            xml=form_xml(built.form_id, built.version, instance_id, answers or ANSWERS),
            media={"sign.jpg": os.urandom(ATTACHMENT_BYTES)} if attachment else None,
        )
        body, content_type = submission_body(sealed)
        requests.append(_environ(f"/odk/key/{token}/submission", body, content_type))
        ids.append(instance_id)
    return requests, ids


def _web_requests(count: int) -> list[dict[str, Any]]:
    from urllib.parse import urlencode

    from django.conf import settings
    from django.core import signing

    from kinga.intake.submission import SUBMISSION_SALT

    signer = signing.TimestampSigner(key=settings.SECRET_KEY, salt=SUBMISSION_SALT)
    requests = []
    for _index in range(count):
        body = urlencode(
            {
                "lang": "en",
                "submission": signer.sign(secrets.token_urlsafe(18)),
                "categories": "sexual_exploitation",
                "narrative": ANSWERS["narrative"],
                "danger_now": "no",
                "reporter_relation": "neighbour",
                "county": "",
            }
        ).encode()
        requests.append(
            _environ("/report/", body, "application/x-www-form-urlencoded", query="lang=en")
        )
    return requests


def _drive(requests: list[dict[str, Any]], expect: str) -> tuple[float, list[float], int]:
    """Send requests one after another; return seconds taken, each latency, and how many
    were answered `expect`."""
    latencies: list[float] = []
    answered = 0
    start = time.perf_counter()
    for environ in requests:
        begun = time.perf_counter()
        status = _call(environ)
        latencies.append(time.perf_counter() - begun)
        answered += status.startswith(expect)
    return time.perf_counter() - start, latencies, answered


def _server_costs(count: int) -> tuple[float, float]:
    """Return the milliseconds per submission of opening it and of reading its answers."""
    from kinga.collect import encryption, openrosa, xforms
    from kinga.collect.phone import encrypt_submission, form_xml

    built = xforms.form_build("kinga_field_report")
    sealed = []
    for _index in range(count):
        instance_id = f"uuid:{uuid.uuid4()}"
        done = encrypt_submission(
            public_key_b64=encryption.public_key().base64,
            form_id=built.form_id,
            version=built.version,
            instance_id=instance_id,
            xml=form_xml(built.form_id, built.version, instance_id, ANSWERS),
            media={"sign.jpg": os.urandom(ATTACHMENT_BYTES)},
        )
        sealed.append((openrosa.sent_read(done.envelope).envelope, done.files))
    start = time.perf_counter()
    opened = [encryption.submission_open(envelope, files) for envelope, files in sealed if envelope]
    opening = time.perf_counter() - start
    start = time.perf_counter()
    for item in opened:
        openrosa.answers_read(item.xml)
    reading = time.perf_counter() - start
    return opening / count * 1000, reading / count * 1000


def collect_ingest(*, out: Callable[[str], None], quick: bool) -> None:
    if _refuse("collect_ingest", out):
        return
    from kinga.collect import services
    from kinga.collect.models import Submission, SubmissionStatus
    from kinga.places.models import County

    count = 100 if quick else SUBMISSIONS
    agency = _agency("Bench Collect NGO", County.objects.get(name="Mombasa"))
    volunteer = services.volunteer_add(actor=None, name="Bench volunteer", agency=agency)
    _token, secret = services.token_issue(actor=None, volunteer=volunteer, label="bench")
    out(f"  preparing {count} encrypted submissions (the phone's work, not measured) ...")
    field, ids = _field_requests(secret, count)
    web = _web_requests(count)
    # warm: the form list builds the forms; the key is loaded already
    _call(_environ(f"/odk/key/{secret}/formList", b"", "text/plain") | {"REQUEST_METHOD": "GET"})
    field_time = web_time = 0.0
    field_latency: list[float] = []
    web_latency: list[float] = []
    field_ok = web_ok = 0
    size = count // ROUNDS
    # one sender posts every web report here: the public form's rate limit is not measured
    limits = override_settings(
        KINGA_REPORT_RATE_LIMIT=f"{10 * count}/3600", KINGA_COLLECT_RATE_LIMIT=f"{10 * count}/3600"
    )
    limits.enable()
    for round_ in range(ROUNDS):
        part = slice(round_ * size, count if round_ == ROUNDS - 1 else (round_ + 1) * size)
        seconds, latencies, answered = _drive(web[part], "200")
        web_time, web_latency, web_ok = (
            web_time + seconds,
            web_latency + latencies,
            web_ok + answered,
        )
        seconds, latencies, answered = _drive(field[part], "201")
        field_time += seconds
        field_latency += latencies
        field_ok += answered
    limits.disable()
    filed = Submission.objects.filter(
        instance_id__in=ids, status=SubmissionStatus.FILED, report__isnull=False
    ).count()
    opening_ms, reading_ms = _server_costs(min(count, 200))
    field_rate = count / field_time
    web_rate = count / web_time
    record(
        BenchResult(
            name="collect_ingest",
            database=database_label(),
            figures={
                "submissions": count,
                "field_per_s": field_rate,
                "field_p50_ms": percentile(field_latency, 0.5) * 1000,
                "field_p99_ms": percentile(field_latency, 0.99) * 1000,
                "web_per_s": web_rate,
                "web_p50_ms": percentile(web_latency, 0.5) * 1000,
                "answered_201": field_ok,
                "filed": filed,
                "lost": field_ok - filed,
                "web_answered": web_ok,
                "open_ms": opening_ms,
                "read_ms": reading_ms,
            },
            ratio=field_rate / web_rate,
            ratio_label="field/web",
            target="zero lost",
            passed=field_ok == filed == count,
        ),
        out,
    )


def _onward_world() -> tuple[str, str, dict[str, str], dict[str, str]]:
    """Make a volunteer with a phone, a case their agency owns and a running campaign;
    return the phone's token, the case code and the two forms' answers."""
    import datetime as dt

    from django.utils import timezone

    from kinga.accounts.models import Role
    from kinga.accounts.services import user_create
    from kinga.awareness.models import Campaign
    from kinga.cases.services import case_open
    from kinga.collect import services
    from kinga.people.models import PersonKind
    from kinga.people.services import person_create
    from kinga.places.models import County, Ward

    mombasa = County.objects.get(name="Mombasa")
    agency = _agency("Bench Field NGO", mombasa)
    tag = uuid.uuid4().hex[:8]
    caseworker = user_create(
        username=f"bench_field_{tag}",
        password=secrets.token_urlsafe(18),
        agency=agency,
        roles={Role.CASEWORKER},
        actor=None,
    )
    child = person_create(
        actor=caseworker,
        kind=PersonKind.CHILD,
        given_name="Bench",
        family_name="Child",
        age_estimate=14,
        age_basis="apparent",
    )
    case = case_open(child=child, county=mombasa, actor=caseworker, reason="bench")
    campaign, _created = Campaign.objects.get_or_create(
        name="Bench field campaign",
        defaults={
            "message": "bench",
            "languages": ["sw"],
            "channels": ["baraza"],
            "starts_on": timezone.localdate() - dt.timedelta(days=10),
            "agency": agency,
            "created_by": caseworker,
        },
    )
    ward = Ward.objects.select_related("sub_county__county").filter(sub_county__county=mombasa)[0]
    volunteer = services.volunteer_add(actor=None, name="Bench field volunteer", agency=agency)
    _token, secret = services.token_issue(actor=None, volunteer=volunteer, label="bench")
    visit = {
        "started": "2026-12-03T09:15:02.000+03:00",
        "finished": "2026-12-03T09:31:40.000+03:00",
        "case_code": case.code,
        "visited_on": timezone.localdate().isoformat(),
        "child_seen": "yes",
        "danger_now": "no",
        "needs": "school",
        "notes": "Back at school; the aunt asks about fees.",
    }
    event = {
        "campaign": str(campaign.pk),
        "event_type": "baraza",
        "held_on": timezone.localdate().isoformat(),
        "county": str(mombasa.code),
        "sub_county": str(ward.sub_county_id),
        "ward": str(ward.pk),
        "audience": "parents public",
        "adults": "40",
        "young_people": "12",
        "topics": "Calling 116",
    }
    return secret, case.code, visit, event


def field_onward(*, out: Callable[[str], None], quick: bool) -> None:
    """Home visits and awareness events filed onward from encrypted submissions (each home
    visit reaching its case's caseworker, each event its campaign), against the plain web
    form in the same run, alternating rounds. Zero lost: every submission answered 201 is
    a home visit or an event."""
    if _refuse("field", out):
        return
    from kinga.awareness.models import Event
    from kinga.collect.models import HomeVisit

    count = 100 if quick else SUBMISSIONS
    half = count // 2
    secret, _code, visit, event = _onward_world()
    out(f"  preparing {count} encrypted home visits and events (the phone's work) ...")
    visits, visit_ids = _field_requests(
        secret, half, form_id="kinga_home_visit", answers=visit, attachment=False
    )
    events, event_ids = _field_requests(
        secret, count - half, form_id="kinga_awareness_event", answers=event, attachment=False
    )
    field = [request for pair in zip(visits, events, strict=False) for request in pair]
    web = _web_requests(count)
    _call(_environ(f"/odk/key/{secret}/formList", b"", "text/plain") | {"REQUEST_METHOD": "GET"})
    field_time = web_time = 0.0
    field_latency: list[float] = []
    web_latency: list[float] = []
    field_ok = web_ok = 0
    size = count // ROUNDS
    limits = override_settings(
        KINGA_REPORT_RATE_LIMIT=f"{10 * count}/3600", KINGA_COLLECT_RATE_LIMIT=f"{10 * count}/3600"
    )
    limits.enable()
    for round_ in range(ROUNDS):
        part = slice(round_ * size, count if round_ == ROUNDS - 1 else (round_ + 1) * size)
        seconds, latencies, answered = _drive(web[part], "200")
        web_time += seconds
        web_latency += latencies
        web_ok += answered
        seconds, latencies, answered = _drive(field[part], "201")
        field_time += seconds
        field_latency += latencies
        field_ok += answered
    limits.disable()
    filed_visits = HomeVisit.objects.filter(submission__instance_id__in=visit_ids).count()
    filed_events = Event.objects.filter(field_submission__instance_id__in=event_ids).count()
    field_rate = count / field_time
    web_rate = count / web_time
    record(
        BenchResult(
            name="field",
            database=database_label(),
            figures={
                "submissions": count,
                "field_per_s": field_rate,
                "field_p50_ms": percentile(field_latency, 0.5) * 1000,
                "field_p99_ms": percentile(field_latency, 0.99) * 1000,
                "web_per_s": web_rate,
                "web_p50_ms": percentile(web_latency, 0.5) * 1000,
                "answered_201": field_ok,
                "home_visits": filed_visits,
                "events": filed_events,
                "lost": field_ok - filed_visits - filed_events,
                "web_answered": web_ok,
            },
            ratio=field_rate / web_rate,
            ratio_label="field/web",
            target="zero lost",
            passed=field_ok == filed_visits + filed_events == count,
        ),
        out,
    )


BENCHMARKS = {"collect_ingest": collect_ingest, "field": field_onward}
