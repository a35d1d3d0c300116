"""The data protection duties' writes, one module per duty, re-exported here."""

from __future__ import annotations

from kinga.dataprotection.services.breaches import (
    REMINDER_HOURS_LEFT,
    REMINDERS_JOB,
    breach_assess,
    breach_close,
    breach_commissioner_notified,
    breach_matter_add,
    breach_note,
    breach_record,
    breach_reminders_send,
    breach_subjects_notified,
    matter_by_reference,
    officer_require,
    officers,
    reminders_due,
)

__all__ = [
    "REMINDERS_JOB",
    "REMINDER_HOURS_LEFT",
    "breach_assess",
    "breach_close",
    "breach_commissioner_notified",
    "breach_matter_add",
    "breach_note",
    "breach_record",
    "breach_reminders_send",
    "breach_subjects_notified",
    "matter_by_reference",
    "officer_require",
    "officers",
    "reminders_due",
]
