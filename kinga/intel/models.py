"""The link graph: people, phone numbers, online accounts, vehicles, venues and places, and
the links between them, each with the record it comes from.

Nothing here is typed in by hand. The worker derives every row from the records of other
apps (`kinga.intel.build`): an incident's people of interest, children and leads; the
phone numbers, handles and plates on a person; the handle and numbers a report names.
Each derived row names its *origin* (the record whose change rebuilds it: an incident, a
report, a person) and its *matter* (the incident, report or case whose identity section
decides who sees it, through the policy). An edge is gone as soon as its source is: a
lead removed, a merge undone.

A node holds no identity in clear: it is a kind and a keyed hash (the same number written
two ways is one node). What a phone number, handle or name *is* comes from the
`Appearance` rows, each the value as one source wrote it (encrypted), so a viewer sees a
node's label only through a source the policy shows them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.lib.fields import EncryptedTextField


class NodeKind(models.TextChoices):
    PERSON = "person", _("Person")
    PHONE = "phone", _("Phone number")
    ONLINE_ACCOUNT = "online_account", _("Online account")
    VEHICLE = "vehicle", _("Vehicle")
    VENUE = "venue", _("Venue")
    PLACE = "place", _("Place")


class LinkKind(models.TextChoices):
    # two people of interest in one incident, or one of them and a child of it
    SAME_INCIDENT = "same_incident", _("In the same incident")
    # a person and a number, account or vehicle they use (a lead's user, an identifier)
    USES = "uses", _("Uses")
    # a lead of an incident that names no user: it links everyone in the incident
    LEAD = "lead", _("A lead of the incident")
    # a number and an account named in the same report
    SAME_REPORT = "same_report", _("Named in the same report")
    # where it happened: context only, never a link between networks
    PLACE = "place", _("Where it happened")


# Links that say where, not who: kept for "where" questions, left out of networks, brokers
# and paths (every network in Malindi would otherwise be one).
CONTEXT_KINDS = frozenset({LinkKind.PLACE})

# The role a person plays in a matter, as appearances record it: justice's person roles,
# and "child" for a child of an incident.
CHILD_ROLE = "child"


class Origin(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REPORT = "report", _("Report")
    PERSON = "person", _("Person")


class Node(models.Model):
    """One person (however many records the matching joined), number, account, vehicle,
    venue or place."""

    kind = models.CharField(_("kind"), max_length=16, choices=NodeKind.choices)
    # kind and keyed hash of the normalised value ("person:<first record id>" for a person)
    key = models.CharField(_("key"), max_length=80, unique=True)
    platform = models.CharField(_("platform"), max_length=32, blank=True)
    county = models.ForeignKey(
        "places.County",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ward = models.ForeignKey(
        "places.Ward",
        verbose_name=_("ward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)

    class Meta:
        verbose_name = _("node")
        verbose_name_plural = _("nodes")

    def __str__(self) -> str:
        # Never the value: the key is a hash, the id is enough for logs.
        return f"{self.kind} node #{self.pk}"


class Derived(models.Model):
    """What every derived row says about where it comes from and who may see it."""

    origin_type = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    origin_id = models.BigIntegerField(_("origin id"))
    matter_type = models.CharField(_("matter type"), max_length=16, choices=MatterType.choices)
    matter_id = models.BigIntegerField(_("matter"))
    # the record itself: "justice.personofinterest", "justice.incidentlead",
    # "people.personidentifier", "intake.report", "justice.incidentchild"
    source_type = models.CharField(_("source"), max_length=48)
    source_id = models.BigIntegerField(_("source id"))
    occurred_on = models.DateField(_("when it happened"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)

    class Meta:
        abstract = True


class Appearance(Derived):
    """A node named in a source: a person with their role, a number or handle as written."""

    node = models.ForeignKey(
        Node, verbose_name=_("node"), on_delete=models.CASCADE, related_name="appearances"
    )
    role = models.CharField(_("role"), max_length=16, blank=True)
    relationship = models.CharField(_("relationship to the child"), max_length=16, blank=True)
    is_foreign = models.BooleanField(_("foreign national"), null=True, blank=True)
    # the person record the source names (a person node may join several records)
    person_record = models.BigIntegerField(_("person record"), null=True, blank=True)
    # the number, handle, plate or venue as the source wrote it
    value = EncryptedTextField(_("value"), blank=True)

    class Meta:
        verbose_name = _("appearance")
        verbose_name_plural = _("appearances")
        indexes = [
            # build: the rows of one origin, replaced when it changes
            models.Index(fields=["origin_type", "origin_id"], name="intel_appearance_origin"),
            # selectors: the appearances of the nodes shown, by matter (policy)
            models.Index(fields=["node", "matter_type", "matter_id"], name="intel_appearance_node"),
        ]

    def __str__(self) -> str:
        return f"node #{self.node_id} in {self.matter_type} #{self.matter_id}"


class Edge(Derived):
    """A link between two nodes (`a` the lower id), from one source record."""

    a = models.ForeignKey(Node, verbose_name=_("from"), on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(Node, verbose_name=_("to"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        constraints = [
            models.CheckConstraint(condition=Q(a__lt=models.F("b")), name="intel_edge_ordered"),
        ]
        indexes = [
            # build: the rows of one origin, replaced when it changes
            models.Index(fields=["origin_type", "origin_id"], name="intel_edge_origin"),
            # selectors: the links of the matters a viewer may see (policy)
            models.Index(fields=["matter_type", "matter_id"], name="intel_edge_matter"),
            # changes since a date
            models.Index(fields=["first_seen"], name="intel_edge_first_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} link #{self.a_id}-#{self.b_id}"


class AccountAlias(models.Model):
    """Another handle of an online account: the same account renamed or mirrored."""

    node = models.ForeignKey(
        Node, verbose_name=_("account"), on_delete=models.PROTECT, related_name="aliases"
    )
    platform = models.CharField(_("platform"), max_length=32, blank=True)
    # the key the alias would have as a node of its own
    key = models.CharField(_("key"), max_length=80, unique=True)
    value = EncryptedTextField(_("handle"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("alias of an account")
        verbose_name_plural = _("aliases of accounts")

    def __str__(self) -> str:
        return f"alias of node #{self.node_id}"


class AccountAlert(models.Model):
    """A report named an account of an incident and its investigators were told (once)."""

    report_id = models.BigIntegerField(_("report"))
    incident_id = models.BigIntegerField(_("incident"))
    node = models.ForeignKey(
        Node, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("account alert")
        verbose_name_plural = _("account alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["report_id", "incident_id", "node"], name="intel_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"alert: report #{self.report_id} to incident #{self.incident_id}"


class BuildMark(models.Model):
    """How far the worker's sweep has read a source (the highest id or time seen)."""

    name = models.CharField(_("name"), max_length=48, unique=True)
    value = models.BigIntegerField(_("value"), default=0)
    moved_at = models.DateTimeField(_("moved"), default=timezone.now)

    class Meta:
        verbose_name = _("build mark")
        verbose_name_plural = _("build marks")

    def __str__(self) -> str:
        return f"{self.name} at {self.value}"
