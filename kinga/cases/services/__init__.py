"""Writes to survivor cases. Each runs in a transaction, checks the policy, writes one
audit event and a timeline event, and sends notifications after commit.

Other apps import from here (`kinga.cases.services.consent_allows`,
`case_open_from_report`); the modules behind it group the services by step.
"""

from __future__ import annotations

from kinga.cases.services.base import AGE_MARGIN_YEARS
from kinga.cases.services.child import case_child_update, child_age_from_assessment
from kinga.cases.services.consent import (
    ConsentDecision,
    consent_allows,
    consent_override,
    consent_record,
    consent_withdraw,
)
from kinga.cases.services.opening import (
    case_code,
    case_open,
    case_open_from_report,
    case_risk_set,
    case_team_add,
    case_team_remove,
)
from kinga.cases.services.records import (
    RepeatInterviewWarning,
    follow_up_record,
    interview_cancel,
    interview_plan,
    interview_record,
    interviews_held,
    note_add,
    reintegration_record,
    safety_event_record,
    session_record,
    wellbeing_record,
)
from kinga.cases.services.work import (
    case_reminders_send,
    promise_explain,
    promise_keep,
    promise_make,
    task_complete,
    task_create,
)
from kinga.cases.services.workflow import (
    ASSESSMENT_FIELDS,
    assessment_record,
    case_follow_up_start,
    case_reopen,
    child_flag,
    closure_approve,
    closure_request,
    closure_return,
    plan_approve,
    plan_current,
    plan_item_add,
    plan_item_referral_link,
    plan_item_set_status,
    plan_items_follow_referral,
    plan_return,
    plan_submit,
    transfer_accept,
    transfer_decline,
    transfer_request,
)
from kinga.lib.reasons import MIN_REASON_LENGTH

__all__ = [
    "AGE_MARGIN_YEARS",
    "ASSESSMENT_FIELDS",
    "ConsentDecision",
    "MIN_REASON_LENGTH",
    "RepeatInterviewWarning",
    "assessment_record",
    "case_child_update",
    "plan_item_referral_link",
    "plan_items_follow_referral",
    "case_code",
    "child_age_from_assessment",
    "case_follow_up_start",
    "case_open",
    "case_open_from_report",
    "case_reminders_send",
    "case_reopen",
    "case_risk_set",
    "case_team_add",
    "case_team_remove",
    "child_flag",
    "closure_approve",
    "closure_request",
    "closure_return",
    "consent_allows",
    "consent_override",
    "consent_record",
    "consent_withdraw",
    "follow_up_record",
    "interview_cancel",
    "interview_plan",
    "interview_record",
    "interviews_held",
    "note_add",
    "plan_approve",
    "plan_current",
    "plan_item_add",
    "plan_item_set_status",
    "plan_return",
    "plan_submit",
    "promise_explain",
    "promise_keep",
    "promise_make",
    "reintegration_record",
    "safety_event_record",
    "session_record",
    "task_complete",
    "task_create",
    "transfer_accept",
    "transfer_decline",
    "transfer_request",
    "wellbeing_record",
]
