"""Incidents, investigations and prosecutions, from report to verdict.

Every record here belongs to one matter, the incident (`MatterType.INCIDENT`): the policy
finds it through `incident_id` (the incident itself through `pk`) and each record declares
its section: `summary` (what happened, where and when; the court's dates, measures and
outcomes), `identity` (people of interest, the accused) or `justice` (the investigation,
statements, evidence, charges). Vocabularies follow IOM's Human Trafficking Case Data
Standard (HTCDS 2.0) where it has one. Free text is encrypted; choices, dates and places
stay clear so the funnel can be counted. Evidence is metadata and a SHA-256, never a file:
images of abuse are never uploaded. The chain of custody is append-only, and a charge sheet
that was amended is kept as it was.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.access.policy import Matter
from kinga.cases.models import ControlMethod, SexualExploitationType
from kinga.intake.models import EachOf
from kinga.justice.statutes import BY_CODE
from kinga.lib.fields import EncryptedTextField

# --- vocabularies ---------------------------------------------------------------------------


class IncidentStage(models.TextChoices):
    """Where the incident stands on the path from report to verdict."""

    OPENED = "opened", _("Opened")
    INVESTIGATING = "investigating", _("Under investigation")
    WITH_PROSECUTOR = "with_prosecutor", _("File with the prosecutor")
    NOT_CHARGED = "not_charged", _("Not charged")
    DIVERTED = "diverted", _("Diverted")
    IN_COURT = "in_court", _("In court")
    CONCLUDED = "concluded", _("Concluded")


class EventKind(models.TextChoices):
    """HTCDS historic events: what happened to the child, in order."""

    RECRUITMENT = "recruitment", _("Recruitment")
    TRANSIT = "transit", _("Transit")
    HARBOURING = "harbouring", _("Harbouring")
    EXPLOITATION = "exploitation", _("Exploitation")
    ONLINE_CONTACT = "online_contact", _("Online contact")
    PAYMENT = "payment", _("Payment")
    EXIT = "exit", _("Exit, escape or rescue")
    OTHER = "other", _("Other")


class PersonRole(models.TextChoices):
    """HTCDS roles of a person of interest, with the programme's own."""

    RECRUITER = "recruiter", _("Recruiter or intermediary")
    TRANSPORTER = "transporter", _("Transporter")
    HARBOURER = "harbourer", _("Harbourer")
    EXPLOITER = "exploiter", _("Exploiter")
    BUYER = "buyer", _("Buyer or customer")
    AGENT = "agent", _("Agent or broker")
    PIMP = "pimp", _("Pimp")
    VENUE_OWNER = "venue_owner", _("Venue owner")
    FACILITATOR = "facilitator", _("Facilitator")
    FINANCIER = "financier", _("Financier")
    OTHER = "other", _("Other")


class Relationship(models.TextChoices):
    """The person of interest's relationship to the child."""

    FAMILY = "family", _("Family")
    FRIEND = "friend", _("Friend")
    INTIMATE_PARTNER = "intimate_partner", _("Intimate partner")
    COMMUNITY = "community", _("Community member")
    TOURIST = "tourist", _("Tourist")
    STRANGER = "stranger", _("Stranger")
    UNKNOWN = "unknown", _("Not known")


class BuyerOrigin(models.TextChoices):
    UNKNOWN = "", _("Not known")
    LOCAL = "local", _("Local")
    FOREIGN = "foreign", _("Foreign")
    BOTH = "both", _("Local and foreign")


class LeadKind(models.TextChoices):
    VENUE = "venue", _("Venue")
    VEHICLE = "vehicle", _("Vehicle")
    PHONE = "phone", _("Phone number")
    ONLINE_ACCOUNT = "online_account", _("Online account")


class InvestigationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FILE_SENT = "file_sent", _("File with the prosecutor")
    RETURNED = "returned", _("Returned for further investigation")
    CLOSED = "closed", _("Closed")


class StatementKind(models.TextChoices):
    CHILD = "child", _("The child (the case's single interview)")
    GUARDIAN = "guardian", _("Parent or guardian")
    WITNESS = "witness", _("Witness")
    OFFICER = "officer", _("Police officer")
    MEDICAL = "medical", _("Medical officer")
    SUSPECT = "suspect", _("Suspect (under caution)")


class EvidenceKind(models.TextChoices):
    PHYSICAL = "physical", _("Physical item")
    DIGITAL = "digital", _("Digital (held elsewhere, hashed here)")
    DOCUMENT = "document", _("Document")
    MEDICAL = "medical", _("Medical (P3 form, PRC form, samples)")
    FINANCIAL = "financial", _("Financial (M-Pesa, bank records)")


class HowObtained(models.TextChoices):
    SEIZED = "seized", _("Seized on arrest")
    SEARCH_WARRANT = "search_warrant", _("Under a search warrant")
    HANDED_OVER = "handed_over", _("Handed over voluntarily")
    MEDICAL_EXAM = "medical_exam", _("Medical examination")
    FORENSIC_EXTRACTION = "forensic_extraction", _("Forensic extraction")
    PRODUCTION_ORDER = "production_order", _("Court production order")
    OPEN_SOURCE = "open_source", _("Open source")


class AgeProofKind(models.TextChoices):
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    SCHOOL_RECORD = "school_record", _("School record")
    BAPTISMAL_CARD = "baptismal_card", _("Baptismal card")
    CLINIC_CARD = "clinic_card", _("Clinic or immunisation card")
    MEDICAL_ESTIMATE = "medical_estimate", _("Medical age estimate")


class ChargeDecisionKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    NO_CHARGE = "no_charge", _("No charge")
    DIVERSION = "diversion", _("Diversion")
    FURTHER_INVESTIGATION = "further_investigation", _("Return for further investigation")


class NoChargeReason(models.TextChoices):
    NONE = "", _("—")
    INSUFFICIENT_EVIDENCE = "insufficient_evidence", _("Insufficient evidence")
    SUSPECT_UNKNOWN = "suspect_unknown", _("Suspect not identified")
    SUSPECT_ABSCONDED = "suspect_absconded", _("Suspect absconded")
    WITNESS_WITHDREW = "witness_withdrew", _("Witnesses withdrew")
    NOT_IN_PUBLIC_INTEREST = "public_interest", _("Not in the public interest")
    OTHER = "other", _("Other")


class ProsecutionStatus(models.TextChoices):
    PENDING_PLEA = "pending_plea", _("Awaiting plea")
    TRIAL = "trial", _("Trial")
    DEFENCE = "defence", _("Defence case")
    JUDGMENT = "judgment", _("Judgment delivered")
    CONCLUDED = "concluded", _("Concluded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PleaKind(models.TextChoices):
    NOT_GUILTY = "not_guilty", _("Not guilty")
    GUILTY = "guilty", _("Guilty")
    GUILTY_LESSER = "guilty_lesser", _("Guilty to a lesser offence")
    DEFERRED = "deferred", _("Plea deferred")


class BailKind(models.TextChoices):
    CASH_BAIL = "cash_bail", _("Cash bail")
    BOND = "bond", _("Bond with surety")
    PERSONAL_BOND = "personal_bond", _("Personal bond")
    REMAND = "remand", _("Remanded in custody")
    POLICE_BAIL = "police_bail", _("Police cash bail")


class BailCondition(models.TextChoices):
    NO_CONTACT_CHILD = "no_contact_child", _("No contact with the child or the child's family")
    NO_CONTACT_WITNESSES = "no_contact_witnesses", _("No contact with witnesses")
    REPORT_TO_STATION = "report_to_station", _("Report to a police station")
    SURRENDER_PASSPORT = "surrender_passport", _("Surrender travel documents")
    STAY_AWAY = "stay_away", _("Stay away from the child's home, school and area")
    NOT_LEAVE_JURISDICTION = "not_leave_jurisdiction", _("Not leave the court's jurisdiction")


class CourtEventKind(models.TextChoices):
    MENTION = "mention", _("Mention")
    PLEA = "plea", _("Plea")
    HEARING = "hearing", _("Hearing")
    CASE_TO_ANSWER = "case_to_answer", _("Ruling on a case to answer")
    DEFENCE = "defence", _("Defence hearing")
    JUDGMENT = "judgment", _("Judgment")
    SENTENCING = "sentencing", _("Sentencing")


class CourtEventState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    ADJOURNED = "adjourned", _("Adjourned")
    VACATED = "vacated", _("Taken off the list")


class WitnessKind(models.TextChoices):
    NONE = "", _("No witness")
    CHILD = "child", _("The child")
    GUARDIAN = "guardian", _("Parent or guardian")
    INVESTIGATOR = "investigator", _("Investigating officer")
    MEDICAL = "medical", _("Medical officer")
    CHILDRENS_OFFICER = "childrens_officer", _("Children's Officer")
    OTHER = "other", _("Other witness")


class CourtEventOutcome(models.TextChoices):
    NONE = "", _("—")
    PLEA_TAKEN = "plea_taken", _("Plea taken")
    TESTIMONY_COMPLETE = "testimony_complete", _("Testimony complete")
    TESTIMONY_PART_HEARD = "part_heard", _("Part heard")
    CASE_TO_ANSWER = "case_to_answer", _("Case to answer")
    NO_CASE_TO_ANSWER = "no_case_to_answer", _("No case to answer")
    DEFENCE_CLOSED = "defence_closed", _("Defence closed")
    JUDGMENT_DELIVERED = "judgment_delivered", _("Judgment delivered")
    SENTENCED = "sentenced", _("Sentence passed")
    DIRECTIONS = "directions", _("Directions given")


class AdjournmentParty(models.TextChoices):
    PROSECUTION = "prosecution", _("Prosecution")
    DEFENCE = "defence", _("Defence")
    COURT = "court", _("The court")
    BOTH = "both", _("Both parties")


class AdjournmentReason(models.TextChoices):
    OFFICER_ABSENT = "officer_absent", _("Investigating officer absent")
    WITNESS_ABSENT = "witness_absent", _("Witness absent")
    CHILD_NOT_READY = "child_not_ready", _("Child not ready or unwell")
    FILE_MISSING = "file_missing", _("Police file or exhibits missing")
    DEFENCE_REQUEST = "defence_request", _("Defence asked for time")
    ACCUSED_ABSENT = "accused_absent", _("Accused not produced or absent")
    COURT_NOT_SITTING = "court_not_sitting", _("Court not sitting")
    INTERPRETER_ABSENT = "interpreter_absent", _("No interpreter or intermediary")
    PROSECUTOR_ABSENT = "prosecutor_absent", _("Prosecutor absent")
    OTHER = "other", _("Other")


class Measure(models.TextChoices):
    """Protective measures for a vulnerable witness (Sexual Offences Act s.31(4))."""

    INTERMEDIARY = "intermediary", _("Evidence through an intermediary")
    IN_CAMERA = "in_camera", _("Evidence in camera (not in open court)")
    SCREEN = "screen", _("Witness protection box or screen")
    NO_PUBLICATION = "no_publication", _("No publication of the child's identity")
    VIDEO_LINK = "video_link", _("Evidence by video link")
    SUPPORT_PERSON = "support_person", _("A support person beside the child")


class CountOutcomeKind(models.TextChoices):
    CONVICTED = "convicted", _("Convicted")
    CONVICTED_LESSER = "convicted_lesser", _("Convicted of a lesser offence")
    ACQUITTED = "acquitted", _("Acquitted")
    ACQUITTED_NO_CASE = "acquitted_no_case", _("Acquitted: no case to answer")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DISCHARGED = "discharged", _("Discharged")


CONVICTIONS = (CountOutcomeKind.CONVICTED, CountOutcomeKind.CONVICTED_LESSER)


class SentenceKind(models.TextChoices):
    IMPRISONMENT = "imprisonment", _("Imprisonment")
    LIFE = "life", _("Life imprisonment")
    FINE = "fine", _("Fine")
    IMPRISONMENT_AND_FINE = "imprisonment_and_fine", _("Imprisonment and a fine")
    PROBATION = "probation", _("Probation")
    COMMUNITY_SERVICE = "community_service", _("Community service")


class AppealBy(models.TextChoices):
    DEFENCE = "defence", _("The convicted person")
    PROSECUTION = "prosecution", _("The prosecution")


# --- the incident ---------------------------------------------------------------------------


class InIncident(models.Model):
    """A record inside an incident: the policy finds its matter through `incident_id`."""

    access_matter_type: ClassVar[str] = MatterType.INCIDENT
    access_matter_field: ClassVar[str] = "incident_id"
    section: ClassVar[str] = "justice"

    incident = models.ForeignKey("justice.Incident", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def access_matter(self) -> Matter:
        return Matter(type=MatterType.INCIDENT, id=self.incident_id)


class Incident(models.Model):
    """What happened to one or more children: the matter of every justice record."""

    access_matter_type: ClassVar[str] = MatterType.INCIDENT
    access_matter_field: ClassVar[str] = "pk"
    section: ClassVar[str] = "summary"

    code = models.CharField(_("incident code"), max_length=24, unique=True)
    stage = models.CharField(
        _("stage"), max_length=16, choices=IncidentStage.choices, default=IncidentStage.OPENED
    )
    summary = EncryptedTextField(_("what happened"), blank=True)
    exploitation_types = models.JSONField(
        _("type of exploitation"),
        default=list,
        blank=True,
        validators=[EachOf(SexualExploitationType.values)],
    )
    control_methods = models.JSONField(
        _("means of control"), default=list, blank=True, validators=[EachOf(ControlMethod.values)]
    )
    county = models.ForeignKey(
        "places.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+"
    )
    ward = models.ForeignKey(
        "places.Ward",
        verbose_name=_("ward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    began_on = models.DateField(_("exploitation began"), null=True, blank=True)
    ended_on = models.DateField(_("exploitation ended"), null=True, blank=True)
    buyer_origin = models.CharField(
        _("buyers were"), max_length=8, choices=BuyerOrigin.choices, blank=True, default=""
    )
    police_unit = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("police unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_report = models.OneToOneField(
        "intake.Report",
        verbose_name=_("report"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_on = models.DateField(_("reported"))
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(began_on__isnull=True)
                | Q(ended_on__gte=models.F("began_on")),
                name="justice_incident_period_in_order",
            ),
        ]
        indexes = [
            # the incident list: newest first, by stage
            models.Index(fields=["stage", "-opened_at"], name="justice_incident_stage"),
            models.Index(fields=["-opened_at"], name="justice_incident_opened"),
        ]

    def __str__(self) -> str:
        return self.code

    def access_matter(self) -> Matter:
        return Matter(type=MatterType.INCIDENT, id=self.pk)

    @property
    def duration_days(self) -> int | None:
        """Return how many days the exploitation lasted, when both ends are known."""
        if self.began_on and self.ended_on:
            return (self.ended_on - self.began_on).days + 1
        return None


class IncidentChild(InIncident):
    """A child involved, by their case: the incident never copies the child's identity."""

    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="children")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("child involved")
        verbose_name_plural = _("children involved")
        constraints = [
            models.UniqueConstraint(fields=["incident", "case"], name="justice_child_once"),
        ]
        # the child's case page: the incidents of a case
        indexes = [models.Index(fields=["case"], name="justice_child_case")]

    def __str__(self) -> str:
        return f"case {self.case_id} in incident {self.incident_id}"


class IncidentEvent(InIncident):
    """One dated, located step of what happened (HTCDS historic event)."""

    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("what"), max_length=16, choices=EventKind.choices)
    occurred_on = models.DateField(_("when"))
    until_on = models.DateField(_("until"), null=True, blank=True)
    county = models.ForeignKey(
        "places.County",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    place = EncryptedTextField(_("where (town, venue, route)"), blank=True)
    description = EncryptedTextField(_("what happened"), blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=Q(until_on__isnull=True) | Q(until_on__gte=models.F("occurred_on")),
                name="justice_event_period_in_order",
            ),
        ]
        # the incident page's timeline, in order
        indexes = [models.Index(fields=["incident", "occurred_on"], name="justice_event_order")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.occurred_on}"


class PersonOfInterest(InIncident):
    """A person's role in the incident and relationship to the child (identity section)."""

    section: ClassVar[str] = "identity"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="people")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=16, choices=PersonRole.choices)
    relationship = models.CharField(
        _("relationship to the child"),
        max_length=16,
        choices=Relationship.choices,
        default=Relationship.UNKNOWN,
    )
    is_foreign = models.BooleanField(_("foreign national"), default=False)

    class Meta:
        verbose_name = _("person of interest")
        verbose_name_plural = _("people of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "person", "role"], name="justice_person_role_once"
            ),
        ]
        indexes = [models.Index(fields=["incident", "role"], name="justice_person_incident")]

    def __str__(self) -> str:
        return f"person {self.person_id} as {self.role} in incident {self.incident_id}"


class IncidentLead(InIncident):
    """A venue, vehicle, phone number or online account the incident turns on (identity)."""

    section: ClassVar[str] = "identity"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="leads")
    kind = models.CharField(_("kind"), max_length=16, choices=LeadKind.choices)
    value = EncryptedTextField(_("what (name, plate, number, handle)"))
    platform = models.CharField(_("platform"), max_length=32, blank=True)
    # keyed_hash of the normalised value: the same phone or plate across incidents
    blind_index = models.CharField(_("blind index"), max_length=32)
    person = models.ForeignKey(
        PersonOfInterest,
        verbose_name=_("used by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["incident", "kind"], name="justice_lead_incident"),
            # the same phone, plate or handle in another incident (intel's graph)
            models.Index(fields=["blind_index", "kind"], name="justice_lead_index"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in incident {self.incident_id}"


# --- the investigation ----------------------------------------------------------------------


class Investigation(InIncident):
    """The police investigation of the incident: station, Occurrence Book, status."""

    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="investigation"
    )
    station = models.CharField(_("police station"), max_length=120)
    ob_number = models.CharField(
        _("Occurrence Book number"),
        max_length=40,
        help_text=_("As written in the station's Occurrence Book, e.g. OB 12/04/03/2026."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=InvestigationStatus.choices,
        default=InvestigationStatus.OPEN,
    )
    lead_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("investigating officer"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")

    def __str__(self) -> str:
        return f"investigation of incident {self.incident_id}"


class InvestigationOfficer(InIncident):
    """An officer of the police unit on the investigation's team (granted by the policy)."""

    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="officers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(_("left the team"), null=True, blank=True)

    class Meta:
        verbose_name = _("investigating officer")
        verbose_name_plural = _("investigating officers")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user"],
                condition=Q(ended_at__isnull=True),
                name="justice_officer_once",
            ),
        ]

    def __str__(self) -> str:
        return f"officer {self.user_id} on incident {self.incident_id}"


class InvestigationTask(InIncident):
    """A step of the investigation with its due date."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="tasks")
    title = EncryptedTextField(_("what to do"))
    due_on = models.DateField(_("due"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("investigation task")
        verbose_name_plural = _("investigation tasks")
        indexes = [models.Index(fields=["incident", "due_on"], name="justice_task_due")]

    def __str__(self) -> str:
        return f"task {self.pk} of incident {self.incident_id}"


class Statement(InIncident):
    """A statement recorded; the child's is the case's one interview, referenced, never redone."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="statements")
    kind = models.CharField(_("statement of"), max_length=16, choices=StatementKind.choices)
    interview = models.ForeignKey(
        "cases.Interview",
        verbose_name=_("the child's interview"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_on = models.DateField(_("taken on"))
    reference = EncryptedTextField(_("where it is kept (a reference)"), blank=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            # the single-interview principle: a child's statement is the case's interview
            models.CheckConstraint(
                condition=~Q(kind="child") | Q(interview__isnull=False),
                name="justice_child_statement_is_the_interview",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} statement in incident {self.incident_id}"


SHA256 = RegexValidator(r"^[0-9a-f]{64}$", _("A SHA-256 is 64 hexadecimal characters."))


class Evidence(InIncident):
    """An exhibit, as metadata: never the item, never an image of abuse."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    exhibit_number = models.CharField(_("exhibit number"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=EvidenceKind.choices)
    item = EncryptedTextField(_("item"))
    how_obtained = models.CharField(_("how obtained"), max_length=24, choices=HowObtained.choices)
    obtained_on = models.DateField(_("obtained on"))
    sha256 = models.CharField(
        _("SHA-256 of the digital file (held elsewhere)"),
        max_length=64,
        blank=True,
        validators=[SHA256],
    )
    held_at = EncryptedTextField(_("where the original is held"), blank=True)

    class Meta:
        verbose_name = _("exhibit")
        verbose_name_plural = _("evidence log")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "exhibit_number"], name="justice_exhibit_number_once"
            ),
            # a digital exhibit is known by its hash, never uploaded
            models.CheckConstraint(
                condition=~Q(kind="digital") | ~Q(sha256=""),
                name="justice_digital_evidence_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"exhibit {self.exhibit_number} of incident {self.incident_id}"


class AppendOnlyQuerySet(models.QuerySet["CustodyEntry"]):
    """Refuse bulk updates and deletes: the chain of custody is only ever appended to."""

    def update(self, **kwargs: Any) -> int:
        raise ValidationError(_("The chain of custody can only be appended to."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("The chain of custody can only be appended to."))


class CustodyEntry(InIncident):
    """One hand-over of an exhibit. Append-only: the model, its queryset and the database
    (a trigger, see migration 0002) refuse to change or remove an entry."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="custody")
    sequence = models.PositiveIntegerField(_("entry"))
    handed_at = models.DateTimeField(_("handed over"))
    from_holder = models.CharField(_("from"), max_length=120)
    to_holder = models.CharField(_("to"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=120)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("custody entry")
        verbose_name_plural = _("chain of custody")
        constraints = [
            models.UniqueConstraint(
                fields=["evidence", "sequence"], name="justice_custody_sequence_once"
            ),
        ]

    def __str__(self) -> str:
        return f"custody {self.sequence} of exhibit {self.evidence_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The rule lives with the data so no code path (admin, shell, a later service) can
        # rewrite history; the database trigger holds it against raw SQL too.
        if not self._state.adding:
            raise ValidationError(_("The chain of custody can only be appended to."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("The chain of custody can only be appended to."))


class AgeProof(InIncident):
    """Proof of the child's age: what the court will need to find the child is a child."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="age_proofs")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("proof"), max_length=24, choices=AgeProofKind.choices)
    age_years = models.PositiveSmallIntegerField(_("age it shows (years)"), null=True, blank=True)
    obtained_on = models.DateField(_("obtained on"))
    reference = EncryptedTextField(_("reference (number, issuer)"), blank=True)

    class Meta:
        verbose_name = _("proof of age")
        verbose_name_plural = _("proofs of age")

    def __str__(self) -> str:
        return f"{self.kind} for case {self.case_id}"


class Arrest(InIncident):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="arrests")
    suspect = models.ForeignKey(
        PersonOfInterest, verbose_name=_("suspect"), on_delete=models.PROTECT, related_name="+"
    )
    arrested_at = models.DateTimeField(_("arrested"))
    station = models.CharField(_("held at"), max_length=120)
    arrested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("arresting officer"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("arrest")
        verbose_name_plural = _("arrests")

    def __str__(self) -> str:
        return f"arrest of {self.suspect_id} in incident {self.incident_id}"


class FileSubmission(InIncident):
    """The police file sent to the prosecutor for a decision to charge."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="files")
    sent_at = models.DateTimeField(_("sent"))
    prosecutor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prosecutor"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("file to the prosecutor")
        verbose_name_plural = _("files to the prosecutor")

    def __str__(self) -> str:
        return f"file {self.pk} of incident {self.incident_id}"


class ChargeDecision(InIncident):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="decisions")
    submission = models.OneToOneField(
        FileSubmission, on_delete=models.PROTECT, related_name="decision"
    )
    decision = models.CharField(_("decision"), max_length=24, choices=ChargeDecisionKind.choices)
    no_charge_reason = models.CharField(
        _("why not charged"), max_length=24, choices=NoChargeReason.choices, blank=True
    )
    decided_at = models.DateTimeField(_("decided"))
    note = EncryptedTextField(_("directions or reasons"), blank=True)

    class Meta:
        verbose_name = _("decision to charge")
        verbose_name_plural = _("decisions to charge")
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="no_charge") | ~Q(no_charge_reason=""),
                name="justice_no_charge_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} on incident {self.incident_id}"


# --- the prosecution ------------------------------------------------------------------------


class Prosecution(InIncident):
    """A criminal case in court on the incident."""

    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="prosecutions")
    court = models.CharField(_("court"), max_length=120)
    court_file_number = models.CharField(_("court file number"), max_length=40)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProsecutionStatus.choices,
        default=ProsecutionStatus.PENDING_PLEA,
    )
    lead_prosecutor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prosecutor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_on = models.DateField(_("charged in court"))
    concluded_on = models.DateField(_("concluded"), null=True, blank=True)
    compensation_kes = models.PositiveIntegerField(
        _("compensation ordered (KES)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("prosecution")
        verbose_name_plural = _("prosecutions")
        constraints = [
            models.UniqueConstraint(
                fields=["court", "court_file_number"], name="justice_court_file_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.court} {self.court_file_number}"


class ChargeSheet(InIncident):
    """One version of the charge sheet. A new version supersedes it; it is then never changed."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    prosecution = models.ForeignKey(
        Prosecution, on_delete=models.PROTECT, related_name="charge_sheets"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    filed_on = models.DateField(_("filed"))
    amendment_note = EncryptedTextField(_("what the amendment changes"), blank=True)
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    class Meta:
        verbose_name = _("charge sheet")
        verbose_name_plural = _("charge sheets")
        constraints = [
            models.UniqueConstraint(
                fields=["prosecution", "version"], name="justice_sheet_version_once"
            ),
            # one current version at a time
            models.UniqueConstraint(
                fields=["prosecution"],
                condition=Q(superseded_at__isnull=True),
                name="justice_sheet_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"charge sheet v{self.version} of prosecution {self.prosecution_id}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class ChargeCount(InIncident):
    """A count of a charge sheet version: an offence from the catalogue, against an accused."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    sheet = models.ForeignKey(ChargeSheet, on_delete=models.PROTECT, related_name="counts")
    number = models.PositiveSmallIntegerField(_("count"))
    offence = models.CharField(_("offence"), max_length=16)
    accused = models.ForeignKey(
        PersonOfInterest, verbose_name=_("accused"), on_delete=models.PROTECT, related_name="+"
    )
    particulars = EncryptedTextField(_("particulars"), blank=True)

    class Meta:
        verbose_name = _("count")
        verbose_name_plural = _("counts")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "number"], name="justice_count_number_once"),
        ]

    def __str__(self) -> str:
        return f"count {self.number} ({self.offence})"

    def clean(self) -> None:
        if self.offence not in BY_CODE:
            raise ValidationError({"offence": _("Choose an offence from the catalogue.")})

    @property
    def statute(self) -> Any:
        return BY_CODE.get(self.offence)


class Plea(InIncident):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    count = models.ForeignKey(ChargeCount, on_delete=models.PROTECT, related_name="pleas")
    plea = models.CharField(_("plea"), max_length=16, choices=PleaKind.choices)
    entered_on = models.DateField(_("entered"))

    class Meta:
        verbose_name = _("plea")
        verbose_name_plural = _("pleas")

    def __str__(self) -> str:
        return f"{self.plea} to count {self.count_id}"


class BailTerms(InIncident):
    """Bail, bond or remand of an accused, with its conditions."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    prosecution = models.ForeignKey(Prosecution, on_delete=models.PROTECT, related_name="bail")
    accused = models.ForeignKey(PersonOfInterest, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("terms"), max_length=16, choices=BailKind.choices)
    amount_kes = models.PositiveIntegerField(_("amount (KES)"), null=True, blank=True)
    conditions = models.JSONField(
        _("conditions"), default=list, blank=True, validators=[EachOf(BailCondition.values)]
    )
    decided_on = models.DateField(_("decided"))

    class Meta:
        verbose_name = _("bail terms")
        verbose_name_plural = _("bail terms")

    def __str__(self) -> str:
        return f"{self.kind} for {self.accused_id}"


class CourtEvent(InIncident):
    """A date in court: what it is for, who must come, what happened."""

    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    prosecution = models.ForeignKey(
        Prosecution, on_delete=models.PROTECT, related_name="court_events"
    )
    kind = models.CharField(_("for"), max_length=16, choices=CourtEventKind.choices)
    scheduled_for = models.DateTimeField(_("date and time"))
    courtroom = models.CharField(_("courtroom"), max_length=60, blank=True)
    witness = models.CharField(
        _("witness to be heard"), max_length=20, choices=WitnessKind.choices, blank=True
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=CourtEventState.choices,
        default=CourtEventState.SCHEDULED,
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=CourtEventOutcome.choices, blank=True
    )
    child_attends = models.BooleanField(_("the child comes to court"), default=False)
    child_testified = models.BooleanField(_("the child testified"), default=False)
    accompanied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepares and accompanies the child"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    officer_present = models.BooleanField(_("investigating officer present"), null=True, blank=True)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("adjourned from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_event",
    )
    reminded_on = models.DateField(_("reminder sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("court date")
        verbose_name_plural = _("court dates")
        indexes = [
            # the court calendar: scheduled dates in a window
            models.Index(fields=["state", "scheduled_for"], name="justice_court_calendar"),
            # the prosecution's record, in order
            models.Index(fields=["prosecution", "scheduled_for"], name="justice_court_record"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.scheduled_for:%Y-%m-%d}"

    @property
    def wasted_trip(self) -> bool:
        """Return whether the child came to court and was not heard."""
        return (
            self.child_attends
            and self.state in (CourtEventState.ADJOURNED, CourtEventState.VACATED)
            and not self.child_testified
        )


class Adjournment(InIncident):
    """Why a court date did not go ahead, who asked, and the next date."""

    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField(CourtEvent, on_delete=models.PROTECT, related_name="adjournment")
    requested_by = models.CharField(_("asked by"), max_length=16, choices=AdjournmentParty.choices)
    reason = models.CharField(_("why"), max_length=24, choices=AdjournmentReason.choices)
    next_date = models.DateTimeField(_("next date"))

    class Meta:
        verbose_name = _("adjournment")
        verbose_name_plural = _("adjournments")
        indexes = [models.Index(fields=["reason"], name="justice_adjournment_reason")]

    def __str__(self) -> str:
        return f"adjourned ({self.reason})"


class WitnessProtection(InIncident):
    """The child in court: the vulnerable-witness declaration (Sexual Offences Act s.31), the
    measures granted, that the child and guardian were told of them (s.32), and the victim
    impact statement (Victim Protection Act 2014 s.12). Summary: the caseworker who
    supports the child sees it."""

    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    prosecution = models.ForeignKey(
        Prosecution, on_delete=models.PROTECT, related_name="protections"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    declared_on = models.DateField(_("declared a vulnerable witness"), null=True, blank=True)
    measures = models.JSONField(
        _("measures granted"), default=list, blank=True, validators=[EachOf(Measure.values)]
    )
    told_child_on = models.DateField(
        _("child and guardian told of the measures"), null=True, blank=True
    )
    impact_statement_on = models.DateField(
        _("victim impact statement filed"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("child witness protection")
        verbose_name_plural = _("child witness protections")
        constraints = [
            models.UniqueConstraint(fields=["prosecution", "case"], name="justice_protection_once"),
        ]

    def __str__(self) -> str:
        return f"protection of case {self.case_id} in prosecution {self.prosecution_id}"


class CountOutcome(InIncident):
    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    count = models.OneToOneField(ChargeCount, on_delete=models.PROTECT, related_name="outcome")
    outcome = models.CharField(_("outcome"), max_length=20, choices=CountOutcomeKind.choices)
    decided_on = models.DateField(_("decided"))

    class Meta:
        verbose_name = _("outcome of a count")
        verbose_name_plural = _("outcomes of counts")
        indexes = [models.Index(fields=["outcome", "decided_on"], name="justice_outcome")]

    def __str__(self) -> str:
        return f"{self.outcome} on count {self.count_id}"


class Sentence(InIncident):
    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    count = models.OneToOneField(ChargeCount, on_delete=models.PROTECT, related_name="sentence")
    kind = models.CharField(_("sentence"), max_length=24, choices=SentenceKind.choices)
    months = models.PositiveIntegerField(_("term (months)"), null=True, blank=True)
    fine_kes = models.PositiveIntegerField(_("fine (KES)"), null=True, blank=True)
    passed_on = models.DateField(_("passed"))

    class Meta:
        verbose_name = _("sentence")
        verbose_name_plural = _("sentences")

    def __str__(self) -> str:
        return f"{self.kind} on count {self.count_id}"


class Appeal(InIncident):
    section: ClassVar[str] = "summary"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    prosecution = models.ForeignKey(Prosecution, on_delete=models.PROTECT, related_name="appeals")
    appealed_by = models.CharField(_("appealed by"), max_length=16, choices=AppealBy.choices)
    filed_on = models.DateField(_("filed"))
    court = models.CharField(_("appeal court"), max_length=120)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"appeal by {self.appealed_by}"
