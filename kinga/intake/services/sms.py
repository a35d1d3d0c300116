"""Incoming SMS: a new report, or more to the report this number sent today.

`report_from_sms` is the channel's one function; the gateway's retry of a message id
changes nothing. The acknowledgement is neutral and says nothing of what was reported:
phones are shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from kinga.assist.language import language_of, reply_language
from kinga.audit.models import AuditAction
from kinga.audit.services import audit_record
from kinga.intake.models import Channel, Decision, Report, ReportAddition
from kinga.intake.seams import campaign_of_sms
from kinga.intake.services.codes import normalised_phone, phone_index
from kinga.intake.services.reports import REPORT, audit_report, by_reference, check_report
from kinga.intake.services.routing import enter_triage
from kinga.intake.services.signals import signals_refresh

SMS_EXTEND_WINDOW = timedelta(hours=24)


def sms_acknowledgement(language: str = "") -> str:
    """Return the acknowledgement of a new SMS report: in its language ("sw" or "en"), or
    in Kiswahili then English when the words do not tell (mixed, or too few)."""
    texts = []
    for each in (language,) if language in ("sw", "en") else ("sw", "en"):
        with translation.override(each):
            texts.append(
                gettext("Thank you, your message was received. Danger now? Call 116 free.")
            )
    return " / ".join(texts)


@dataclass
class SmsOutcome:
    report: Report
    new_report: bool
    repeated: bool


@transaction.atomic(durable=True)
def report_from_sms(
    *,
    message_id: str,
    sender: str,
    text: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> SmsOutcome:
    """Store an incoming SMS: a new report, or more to a report this number sent today.

    The same message id twice changes nothing. A new report gets a neutral acknowledgement.
    """
    now = now or timezone.now()
    known = by_reference(Channel.SMS, message_id).first()
    if known is not None:
        return SmsOutcome(report=known, new_report=False, repeated=True)
    addition = (
        ReportAddition.objects.filter(channel=Channel.SMS, channel_reference=message_id)
        .exclude(channel_reference="")
        .select_related("report")
        .first()
    )
    if addition is not None:
        return SmsOutcome(report=addition.report, new_report=False, repeated=True)
    number = normalised_phone(sender)
    index = phone_index(number) if number else ""
    recent = None
    if index:
        recent = (
            Report.objects.filter(
                channel=Channel.SMS,
                reporter_phone_index=index,
                received_at__gte=now - SMS_EXTEND_WINDOW,
                decision=Decision.NONE,
            )
            .order_by("-received_at")
            .first()
        )
    if recent is not None:
        try:
            with transaction.atomic():
                ReportAddition.objects.create(
                    report=recent,
                    channel=Channel.SMS,
                    text=text[:2000],
                    channel_reference=message_id,
                    received_at=now,
                )
        except IntegrityError:
            return SmsOutcome(report=recent, new_report=False, repeated=True)
        suggested = signals_refresh(recent)
        audit_record(
            action=AuditAction.CHANGE,
            actor=None,
            actor_label="public:sms",
            record_type=REPORT,
            record_id=recent.pk,
            matter_type="report",
            matter_id=recent.pk,
            fields=["additions", *suggested],
        )
        return SmsOutcome(report=recent, new_report=False, repeated=False)
    # the words' language: the report shows it, and the reply goes out in it
    detected = language_of(text)
    report = Report(
        channel=Channel.SMS,
        received_at=now,
        updated_at=now,
        narrative=text[:2000],
        reporter_phone=number,
        reporter_phone_index=index,
        channel_reference=message_id,
        raw_payload=payload,
        language=reply_language(detected),
        text_language=detected,
        # a message opening with a campaign's keyword is counted as that campaign's
        campaign_code=campaign_of_sms(text),
    )
    check_report(report)
    try:
        with transaction.atomic():
            report.save(force_insert=True)
    except IntegrityError:
        stored = by_reference(Channel.SMS, message_id).get()
        return SmsOutcome(report=stored, new_report=False, repeated=True)
    audit_report(report, AuditAction.CREATE, None, "public:sms")
    enter_triage(report, now=now)
    if number:
        from kinga.messaging.models import MessageKind
        from kinga.messaging.services import message_send

        told = reply_language(detected) if detected in ("sw", "en", "sheng") else ""
        message_send(to=number, text=sms_acknowledgement(told), kind=MessageKind.ACKNOWLEDGEMENT)
    return SmsOutcome(report=report, new_report=True, repeated=False)
