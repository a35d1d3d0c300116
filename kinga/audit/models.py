"""The append-only, keyed hash chain of audit events.

Every event carries the hash of the one before it: hash = HMAC-SHA256(audit key,
prev_hash || canonical event), under the audit key the event names (`key_id`, itself part
of the canonical content). The key is not in the database (kinga/audit/keys.py), so
someone who can write the database but lacks the key cannot recompute the chain after
deleting or editing an event. The chain head holds the last sequence number and hash, so a
row deleted from the end is caught as well as one edited, removed or moved in the middle;
signed checkpoints of the head kept outside the database (kinga/audit/checkpoints.py) catch
a tail cut together with a rewritten head. The application only ever inserts events
(`kinga keys rotate` re-encrypts the reason, whose plaintext is what the hash covers);
`kinga audit verify` walks the chain.

An event says what happened to which record in codes and references; a free-text reason
it must keep is encrypted at rest like the record it came from.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kinga.audit.keys import chain_mac
from kinga.lib.fields import EncryptedTextField

GENESIS_HASH = "0" * 64


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    LIST = "list", _("Listed")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    DELETE = "delete", _("Deleted")
    EXPORT = "export", _("Exported")
    SEARCH = "search", _("Searched")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOGOUT = "logout", _("Signed out")
    LOCKED_OUT = "locked_out", _("Locked out")
    TWO_FACTOR = "two_factor", _("Two-factor passed")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Two-factor failed")
    TWO_FACTOR_ENROL = "two_factor_enrol", _("Two-factor enrolled")
    ROLE_CHANGE = "role_change", _("Roles changed")
    PERMISSION_CHANGE = "permission_change", _("Permissions changed")
    ACCESS_GRANTED = "access_granted", _("Access granted")
    ACCESS_REVOKED = "access_revoked", _("Access revoked")
    BREAK_GLASS = "break_glass", _("Break-glass access")
    BREAK_GLASS_REVIEW = "break_glass_review", _("Break-glass reviewed")
    DENIED = "denied", _("Access denied")
    KEY_ROTATION = "key_rotation", _("Keys rotated")
    SYSTEM = "system", _("System event")


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(  # indexed by audit_actor_seq (actor, seq), not on its own
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    agency_id_at_time = models.BigIntegerField(_("agency"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    record_type = models.CharField(_("record type"), max_length=64, blank=True)
    record_id = models.CharField(_("record id"), max_length=64, blank=True)
    matter_type = models.CharField(_("matter type"), max_length=32, blank=True)
    matter_id = models.BigIntegerField(_("matter id"), null=True, blank=True)
    fields = models.JSONField(_("fields touched"), default=list, blank=True)
    # Encrypted: the hash covers the plaintext, so re-encrypting under a new data key
    # (`kinga keys rotate`) leaves the chain intact.
    reason = EncryptedTextField(_("reason"), blank=True)
    search_hash = models.CharField(_("search terms (hashed)"), max_length=64, blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    key_id = models.CharField(_("audit key"), max_length=16, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [
            # "who has seen this case" page
            models.Index(fields=["matter_type", "matter_id", "seq"], name="audit_matter_seq"),
            # an actor's trail, for reviews of break-glass and misuse
            models.Index(fields=["actor", "seq"], name="audit_actor_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.record_type}:{self.record_id}"

    def canonical(self) -> bytes:
        """Return the event's content as canonical JSON bytes, the input of its hash."""
        return canonical_content(*(getattr(self, name) for name in CANONICAL_ATTRIBUTES))

    def compute_hash(self) -> str:
        """Return the HMAC, under the audit key the event names, of the previous hash and
        this event's canonical form; raise UnknownAuditKeyError for a key not configured."""
        return chain_mac(self.key_id, self.prev_hash.encode("ascii") + self.canonical())


# The attributes an event's hash covers, in `canonical_content`'s order: what the verifier
# reads of each row (`kinga.audit.verify`), without making a model instance of it.
CANONICAL_ATTRIBUTES = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "agency_id_at_time",
    "action",
    "record_type",
    "record_id",
    "matter_type",
    "matter_id",
    "fields",
    "reason",
    "search_hash",
    "request_id",
    "address",
    "detail",
    "key_id",
)


def canonical_content(
    seq: int,
    at: Any,
    actor_id: int | None,
    actor_label: str,
    agency_id_at_time: int | None,
    action: str,
    record_type: str,
    record_id: str,
    matter_type: str,
    matter_id: int | None,
    fields: list[str],
    reason: str,
    search_hash: str,
    request_id: str,
    address: str | None,
    detail: dict[str, Any],
    key_id: str,
) -> bytes:
    """Return an event's content as canonical JSON bytes, the input of its hash: the one
    encoding, for the event written (`AuditEvent.canonical`) and the row verified."""
    content: dict[str, Any] = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor_id,
        "actor_label": actor_label,
        "agency": agency_id_at_time,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "matter_type": matter_type,
        "matter_id": matter_id,
        "fields": sorted(fields),
        "reason": reason,
        "search_hash": search_hash,
        "request_id": request_id,
        "address": address,
        "detail": detail,
        "key_id": key_id,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class AuditChainHead(models.Model):
    """The one row that names the last event: the lock writers queue on, and the tail anchor."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row"),
        ]

    def __str__(self) -> str:
        return f"head at #{self.last_seq}"
