"""Every write of intake, by concern; other apps and the views import from here.

One function per channel owns the whole write (prepare, write turn, transaction, audit,
routing task, rate limit): `report_submit_web` (the public form), `report_follow_up` (a
reporter's later addition), `ussd_answer` (a USSD screen), `ussd_session_end` (the
gateway's end notice), `report_from_sms` (an incoming SMS) and `report_log_call` (a report
staff take). Views call one of them and never take the write turn or a transaction.

- `codes`: follow-up codes and phone numbers.
- `reports`: what every channel does to a report (fill, check, audit), from the model.
- `web`, `ussd`, `sms`, `staff`: the channels.
- `routing`: the triage area, priority and repeat signals; the routing task.
- `triage`: opening a report and deciding on it (a case is opened in `kinga.cases`).
- `signals`: what a report's words suggest (`kinga.assist`) and a triager's decision on each.
- `alerts`: a child in danger now; its fallback chain and escalation.
- `helpline`: the record of each helpline call; follow-up calls.

Every report is committed before its channel is answered. The public channels are the hot
path (`kinga bench intake_load`): rows and audit events are prepared before the write
turn (`kinga.intake.statements.write_turn`) and stored in one short transaction.
"""

from __future__ import annotations

from kinga.intake.repeats import PHONE_REPEAT_WINDOW, WARD_REPEAT_WINDOW
from kinga.intake.services.alerts import alert_acknowledge, alert_escalate, alert_raise, step_people
from kinga.intake.services.codes import (
    follow_up_code_for,
    follow_up_code_new,
    follow_up_hash,
    format_code,
    log_safe_phone,
    normalise_code,
    phone_index,
)
from kinga.intake.services.helpline import CallInput, helpline_follow_up_call
from kinga.intake.services.reports import REPORT, ReportInput
from kinga.intake.services.routing import (
    TRIAGE_KINDS,
    priority_of,
    repeat_signals_of,
    report_route_task,
    triage_agencies,
    triage_agencies_forget,
)
from kinga.intake.services.signals import report_signal_review, signals_refresh
from kinga.intake.services.sms import SMS_EXTEND_WINDOW, SmsOutcome, report_from_sms
from kinga.intake.services.staff import IN_PERSON_ROLES, report_log_call
from kinga.intake.services.triage import report_decide, report_review_start
from kinga.intake.services.ussd import USSD_SETTLE_AFTER, ussd_answer, ussd_session_end
from kinga.intake.services.web import TooManyReports, report_follow_up, report_submit_web
from kinga.lib.reasons import MIN_REASON_LENGTH

__all__ = [
    "IN_PERSON_ROLES",
    "MIN_REASON_LENGTH",
    "PHONE_REPEAT_WINDOW",
    "REPORT",
    "SMS_EXTEND_WINDOW",
    "TRIAGE_KINDS",
    "USSD_SETTLE_AFTER",
    "WARD_REPEAT_WINDOW",
    "CallInput",
    "ReportInput",
    "SmsOutcome",
    "TooManyReports",
    "alert_acknowledge",
    "alert_escalate",
    "alert_raise",
    "follow_up_code_for",
    "follow_up_code_new",
    "follow_up_hash",
    "format_code",
    "helpline_follow_up_call",
    "log_safe_phone",
    "normalise_code",
    "phone_index",
    "priority_of",
    "repeat_signals_of",
    "report_decide",
    "report_follow_up",
    "report_from_sms",
    "report_log_call",
    "report_review_start",
    "report_route_task",
    "report_signal_review",
    "report_submit_web",
    "signals_refresh",
    "step_people",
    "triage_agencies",
    "triage_agencies_forget",
    "ussd_answer",
    "ussd_session_end",
]
