"""Demo reports: a few hundred from every channel over the past year (all synthetic).

Places are the coast's real counties and wards; people, phones and stories are invented.
Older reports are triaged, and most danger alerts were acknowledged.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kinga.accounts.models import User
from kinga.intake import services
from kinga.intake.models import Alert, Channel, Decision, Report
from kinga.intake.services.ussd import report_ussd_store
from kinga.intake.ussd import Answers
from kinga.places.models import Ward

COUNT = 320
SEED = 116

NARRATIVES_SW = [
    "Wasichana wawili wa shule wanaonekana kila Ijumaa usiku kwenye baa karibu na ufuo, "
    "wakiwa na wanaume wazee wa kigeni.",
    "Jirani yangu ana msichana wa kazi wa miaka kama 14 ambaye hapelekwi shule na analala "
    "nje ya nyumba.",
    "Kuna mwanamume anayewachukua watoto wa kike kwa bodaboda kuwapeleka kwenye nyumba za "
    "kukodisha za likizo.",
    "Mtoto wa dada yangu alitumiwa pesa kwa M-Pesa na mtu wa mtandaoni anayemtaka picha.",
    "Watoto wa mitaani karibu na stendi wanapewa dawa za kulevya na kupelekwa kwenye klabu.",
    "Msichana wa darasa la saba amepotea kwa siku tatu; alisema amepata kazi Mombasa.",
    "Mama mmoja analeta wasichana kutoka kijijini akisema watafanya kazi za nyumbani mjini.",
    "Kwenye disko matanga, wavulana wadogo wanalipwa kulala na wageni.",
]
NARRATIVES_EN = [
    "A girl of about 15 is brought to the hotel by a tour guide and leaves with guests.",
    "Two sisters were taken from the village with promises of work in Malindi; they no "
    "longer answer their phone.",
    "Someone on Facebook is offering money to schoolgirls for photos and meetings.",
    "A boy who sells sweets on the beach is often taken into a villa by an older foreigner.",
    "The landlady keeps young girls in a back room and men visit at night.",
    "My niece says a matatu conductor gives her money and takes her to a lodging.",
    "A TikTok account is posting videos of girls in school uniform with a phone number.",
    "Children from the fishing camp are sent to the town at night and come back with money.",
]
# SMS in Sheng and SMS spelling, received in the last hour: the triage assist's signals
# (kinga.assist) are waiting for a triager's decision on them.
SHENG_SMS = [
    "dem mdogo wa form 2 ako na sponsor wa kizungu xaxa kwa lodging ya mtwapa",
    "kadem ka std 6 kanapewa thao na jamaa mzee kila weekend",
    "MSUPA MDOGO ANABEBWA NA MZUNGU KWA VILLA LEO USIKU TAFADHALI",
]
PLATFORMS = ["facebook", "whatsapp", "tiktok", "instagram", "telegram"]
RELATIONS = ["neighbour", "parent", "relative", "teacher", "tourism_worker", "self", "unknown"]
CATEGORIES = ["sexual_exploitation", "trafficking", "online", "sexual_abuse", "other"]
BANDS = ["0-5", "6-11", "12-14", "15-17", "unknown"]
CHANNELS = [
    (Channel.USSD, 30),
    (Channel.SMS, 20),
    (Channel.WEB, 20),
    (Channel.HELPLINE, 20),
    (Channel.WALK_IN, 6),
    (Channel.POLICE, 4),
]


def _pick_channel(rng: random.Random) -> str:
    roll = rng.randint(1, 100)
    for channel, weight in CHANNELS:
        roll -= weight
        if roll <= 0:
            return channel
    return Channel.WEB


def load(*, out: Callable[[str], None]) -> None:
    """Add the demo reports unless they are there already."""
    if Report.objects.filter(channel_reference__startswith="demo-").exists():
        out("    reports already loaded")
        return
    rng = random.Random(SEED)
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    helpline = users.get("helpline")
    walk_in = users.get("childrenofficer") or users.get("caseworker")
    police = users.get("investigator")
    triagers = [u for u in (users.get("caseworker"), users.get("childrenofficer")) if u]
    wards = list(Ward.objects.filter(sub_county__county__coastal=True).select_related("sub_county"))
    # most reports come from Mombasa and Kilifi, where tourism is
    weights = [
        {"Mombasa": 5, "Kilifi": 4, "Kwale": 3}.get(w.sub_county.county.name, 1) for w in wards
    ]
    now = timezone.now()
    made = 0
    for number in range(COUNT):
        when = now - timedelta(minutes=rng.randint(30, 365 * 24 * 60))
        ward = rng.choices(wards, weights)[0]
        swahili = rng.random() < 0.7
        narrative = rng.choice(NARRATIVES_SW if swahili else NARRATIVES_EN)
        danger = "yes" if rng.random() < 0.12 else rng.choice(["no", "unknown"])
        category = rng.choice(CATEGORIES)
        band = rng.choice(BANDS)
        phone = f"+2547{rng.randint(10, 29)}{rng.randint(100000, 999999)}"
        channel = _pick_channel(rng)
        report: Report | None = None
        if channel == Channel.USSD:
            answers = Answers(
                language="sw" if swahili else "en",
                category=category if category != "sexual_abuse" else "other",
                county_id=ward.sub_county.county_id,
                county_known=True,
                sub_county_id=ward.sub_county_id,
                age_band=band,
                danger=danger,
                callback=rng.random() < 0.5,
            )
            complete = rng.random() < 0.85
            session = f"demo-ussd-{number}"
            report_ussd_store(
                session_id=session,
                phone=phone,
                answers=answers,
                complete=complete,
                payload={"sessionId": session, "serviceCode": "*384*116#"},
                now=when,
            )
            if not complete:
                services.ussd_session_end(session_id=session, status="Incomplete", now=when)
            report = Report.objects.get(channel=Channel.USSD, channel_reference=session)
        elif channel == Channel.SMS:
            outcome = services.report_from_sms(
                message_id=f"demo-sms-{number}",
                sender=phone,
                text=narrative,
                payload={"id": f"demo-sms-{number}"},
                now=when,
            )
            report = outcome.report
        else:
            data = services.ReportInput(
                categories=[category],
                narrative=narrative,
                ward_id=ward.pk,
                children_count=rng.choice([1, 1, 1, 2, 3]),
                age_bands=[band],
                danger_now=danger,
                online_platform=rng.choice(PLATFORMS) if category == "online" else "",
                online_handle=f"@demo_account_{number}" if category == "online" else "",
                reporter_relation=rng.choice(RELATIONS),
                reporter_phone=phone if channel != Channel.WEB else "",
                callback_consent=rng.random() < 0.5,
                language="sw" if swahili else "en",
            )
            if channel == Channel.WEB:
                report, _code = services.report_submit_web(
                    data=data, submission=f"demo-web-{number}", payload={}, now=when
                )
            else:
                operators: dict[str, User | None] = {
                    Channel.HELPLINE: helpline,
                    Channel.WALK_IN: walk_in,
                    Channel.POLICE: police,
                }
                operator = operators[channel]
                if operator is None:
                    continue
                call = None
                if channel == Channel.HELPLINE:
                    call = services.CallInput(
                        outcome=rng.choice(["reported", "follow_up", "referred"]),
                        duration_minutes=rng.randint(3, 25),
                        caller_relation=data.reporter_relation,
                        child_sex=rng.choice(["girl", "girl", "boy", "unknown"]),
                        language=rng.choice(["sw", "sw", "en", "giriama", "digo"]),
                        support_given=rng.sample(["counselling", "information", "referral"], 2),
                    )
                report, _code = services.report_log_call(
                    operator=operator, data=data, now=when, channel=channel, call=call
                )
                Report.objects.filter(pk=report.pk).update(channel_reference=f"demo-{number}")
        made += 1
        if report is None:
            continue
        if report.routed_at is None:
            # what the worker does a second later (public reports are routed by a task)
            with transaction.atomic():
                services.report_route_task({"report_id": report.pk}, when)
        report.refresh_from_db()
        age = now - when
        alert = Alert.objects.filter(report=report).first()
        if alert is not None and age > timedelta(hours=2):
            responder = alert.notified.first()
            if responder is not None and rng.random() < 0.9:
                services.alert_acknowledge(
                    alert=alert,
                    actor=responder,
                    now=when + timedelta(minutes=rng.randint(2, 14)),
                )
        if age > timedelta(days=10) and rng.random() < 0.8:
            _triage(report, triagers, rng, when)
    for index, text in enumerate(SHENG_SMS):
        when = now - timedelta(minutes=50 - 15 * index)
        outcome = services.report_from_sms(
            message_id=f"demo-sheng-{index}",
            sender=f"+25471155{index:04d}",
            text=text,
            payload={"id": f"demo-sheng-{index}"},
            now=when,
        )
        with transaction.atomic():
            services.report_route_task({"report_id": outcome.report.pk}, when)
        made += 1
    out(f"    {made} reports from every channel")


def _triage(report: Report, triagers: list[User], rng: random.Random, when: object) -> None:
    from kinga.access import policy

    for triager in triagers:
        if policy.can(triager, "change", report, "summary"):
            # the triager's decision on each signal the words raised: the labels the
            # assist is measured on (its own generator, so the rest of the demo is unchanged)
            signal_rng = random.Random(report.pk)
            for signal in report.text_signals:
                services.report_signal_review(
                    report=report,
                    actor=triager,
                    signal=signal,
                    verdict="confirmed" if signal_rng.random() < 0.85 else "rejected",
                )
            decision = rng.choice(
                [
                    Decision.OPEN_CASE,
                    Decision.REFER,
                    Decision.OPEN_INCIDENT,
                    Decision.NO_FURTHER_ACTION,
                    Decision.REFER,
                ]
            )
            # decided at the week's triage meeting, a few days after the report came in (not
            # today: the dashboards' medians would read each report's age as its triage time)
            assert isinstance(when, datetime)
            decided = when + timedelta(hours=random.Random(-report.pk).randint(4, 7 * 24))
            services.report_decide(
                report=report,
                actor=triager,
                decision=decision,
                reason="Demo: decided at the weekly triage meeting after a call-back.",
                now=decided,
            )
            if decision == Decision.OPEN_CASE:
                # the case opened at the meeting that decided it (the service dates it now)
                from kinga.cases.models import Case

                Case.objects.filter(source_report_id=report.pk).update(
                    opened_at=decided + timedelta(hours=1)
                )
            return
