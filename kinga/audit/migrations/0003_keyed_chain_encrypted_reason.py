"""Key the audit chain (HMAC under KINGA_AUDIT_KEYS) and encrypt each event's reason.

Existing events are re-chained: each gets the newest audit key's id, its reason is
encrypted under the first data key, and its hash and link are recomputed with the HMAC,
in sequence order, and the head follows. This rewrites audit rows, which the application
otherwise never does: it is acceptable only because there is no production deployment yet
(issue 11), so every existing log is development or demo data. The plain SHA-256 chain is
checked first, so a log already broken is refused instead of being blessed with the key.
After a production deployment this migration must never be replaced by a re-chaining one.

The canonical form is copied here as `AuditEvent.canonical` has it at this revision, so
later changes to the model do not change what this migration computes. There is no way
back to the unkeyed chain.
"""

import hashlib
import json

from django.db import migrations, models
from django.db.models.functions import Cast, Concat

import kinga.lib.fields

GENESIS = "0" * 64


def _canonical(row, *, with_key):
    content = {
        "seq": row["seq"],
        "at": row["at"].isoformat(timespec="microseconds"),
        "actor": row["actor_id"],
        "actor_label": row["actor_label"],
        "agency": row["agency_id_at_time"],
        "action": row["action"],
        "record_type": row["record_type"],
        "record_id": row["record_id"],
        "matter_type": row["matter_type"],
        "matter_id": row["matter_id"],
        "fields": sorted(row["fields"]),
        "reason": row["reason"],
        "search_hash": row["search_hash"],
        "request_id": row["request_id"],
        "address": row["address"],
        "detail": row["detail"],
    }
    if with_key:
        content["key_id"] = row["key_id"]
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def rechain(apps, schema_editor):
    from kinga.audit.keys import audit_keyring, chain_mac
    from kinga.lib.crypto import encrypt

    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditChainHead")
    rows = list(
        event_model.objects.order_by("seq").values(
            "id",
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
            "prev_hash",
            "hash",
        )
    )
    if not rows:
        return
    previous = GENESIS
    for expected, row in enumerate(rows, start=1):
        plain = hashlib.sha256(row["prev_hash"].encode("ascii") + _canonical(row, with_key=False))
        if row["seq"] != expected or row["prev_hash"] != previous or plain.hexdigest() != row["hash"]:
            raise RuntimeError(
                f"The audit chain is already broken at event #{row['seq']}; run the previous "
                "release's `kinga audit verify` and restore the log before migrating."
            )
        previous = row["hash"]
    head = head_model.objects.filter(id=1).values_list("last_seq", "last_hash").first()
    if head != (rows[-1]["seq"], previous):
        raise RuntimeError(
            "The audit chain head does not match the last event; run the previous release's "
            "`kinga audit verify` and restore the log before migrating."
        )
    key_id = audit_keyring().primary_id
    previous = GENESIS
    # Two passes: first move every hash out of the way (the column is unique), then write.
    event_model.objects.update(hash=Concat(
            models.Value("old-"), Cast("id", models.CharField())
        ))
    for row in rows:
        row["key_id"] = key_id
        keyed = chain_mac(key_id, previous.encode("ascii") + _canonical(row, with_key=True))
        event_model.objects.filter(id=row["id"]).update(
            key_id=key_id,
            reason=encrypt(row["reason"], context="audit.auditevent.reason")
            if row["reason"]
            else "",
            prev_hash=previous,
            hash=keyed,
        )
        previous = keyed
    head_model.objects.filter(id=1).update(last_hash=previous)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_drop_prefix_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, max_length=16, verbose_name="audit key"),
        ),
        # While `reason` is still plain text in the historical model, so it reads as stored.
        migrations.RunPython(rechain, elidable=False),
        migrations.AlterField(
            model_name="auditevent",
            name="reason",
            field=kinga.lib.fields.EncryptedTextField(blank=True, verbose_name="reason"),
        ),
    ]
