"""Outgoing SMS and their delivery state, as Africa's Talking reports it.

The number is encrypted, with a blind index for lookups. The text never holds a report's
content or a name: a neutral acknowledgement, or a reference and a link for staff.

A reporter's acknowledgement is stored as its text, already in the reporter's language. A
message to staff is stored as a message key with its values and a link path, for its
recipient, and rendered in the recipient's language when the worker sends it
(`kinga.lib.messages`); `text` then keeps what was sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.lib.fields import EncryptedTextField


class MessageState(models.TextChoices):
    # Ours: stored, waiting for the worker to hand it to the provider.
    QUEUED = "Queued", _("Queued")
    # Africa's Talking's delivery states, by their own names.
    SENT = "Sent", _("Sent")
    SUBMITTED = "Submitted", _("Submitted")
    BUFFERED = "Buffered", _("Buffered")
    REJECTED = "Rejected", _("Rejected")
    SUCCESS = "Success", _("Delivered")
    FAILED = "Failed", _("Failed")
    ABSENT_SUBSCRIBER = "AbsentSubscriber", _("Phone unreachable")
    EXPIRED = "Expired", _("Expired")
    # Ours: the provider could not take it after every retry.
    NOT_SENT = "NotSent", _("Not sent")


# How far along each state is; a report never moves a message back, or out of a final state.
STATE_RANK = {
    MessageState.QUEUED: 0,
    MessageState.SENT: 1,
    MessageState.SUBMITTED: 2,
    MessageState.BUFFERED: 3,
    MessageState.REJECTED: 9,
    MessageState.SUCCESS: 9,
    MessageState.FAILED: 9,
    MessageState.ABSENT_SUBSCRIBER: 9,
    MessageState.EXPIRED: 9,
    MessageState.NOT_SENT: 9,
}
FINAL_STATES = frozenset(state for state, rank in STATE_RANK.items() if rank == 9)


class MessageKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement to a reporter")
    ALERT = "alert", _("Alert to staff")
    NOTIFICATION = "notification", _("Notification to staff")


class OutboundMessage(models.Model):
    to = EncryptedTextField(_("to"))
    to_index = models.CharField(_("number (blind index)"), max_length=32)
    text = models.CharField(_("text"), max_length=480, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.CharField(_("message key"), max_length=300, blank=True)
    values = models.JSONField(_("values"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=MessageKind.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=MessageState.choices, default=MessageState.QUEUED
    )
    failure_reason = models.CharField(_("failure reason"), max_length=64, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=64, blank=True)
    network_code = models.CharField(_("network code"), max_length=16, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("handed to the provider"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("outgoing SMS")
        verbose_name_plural = _("outgoing SMS")
        constraints = [
            models.CheckConstraint(
                condition=~Q(text="", message=""), name="messaging_text_or_message"
            ),
            models.UniqueConstraint(
                fields=["provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="messaging_provider_id_unique",
            ),
        ]
        indexes = [
            # messages to one number (e.g. how often we acknowledged it)
            models.Index(fields=["to_index", "created_at"], name="messaging_to_created"),
        ]

    def __str__(self) -> str:
        return f"SMS #{self.pk} {self.state}"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES
