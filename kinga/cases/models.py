"""The survivor's case, in the vocabulary of IOM's Human Trafficking Case Data Standard.

One case per child. The case is a *matter* for the access policy (`access_matter_field =
"pk"`); every record inside it names its case (`access_matter_field = "case_id"`) and
belongs to one section of the policy: summary, identity, care, justice or referral.
Free text (notes, reasons, what was explained, who was present) is stored encrypted;
choices, dates and scores stay clear so programme figures can be counted.
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinga.access.models import MatterType
from kinga.access.policy import Matter
from kinga.lib.dates import expiry_after_start, past_dates_errors
from kinga.lib.fields import EncryptedTextField


class CaseStatus(models.TextChoices):
    """HTCDS 2.0 case status."""

    ACTIVE = "active", _("Active")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")
    CLOSED_REFERRED = "closed_referred", _("Closed – referred")


OPEN_STATUSES = (CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP)
CLOSED_STATUSES = (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED)


class RiskLevel(models.TextChoices):
    UNKNOWN = "unknown", _("Not yet assessed")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical – in danger now")


class CaseCounter(models.Model):
    """The last case number given in one county and year (the numbers of its codes)."""

    county = models.ForeignKey("places.County", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="cases_counter_county_year"),
        ]

    def __str__(self) -> str:
        return f"{self.county_id}/{self.year}: {self.last_number}"


class InCase(models.Model):
    """A record inside a case: the policy finds its matter through `case_id`."""

    access_matter_type: ClassVar[str] = MatterType.CASE
    access_matter_field: ClassVar[str] = "case_id"
    # The policy section the record belongs to.
    section: ClassVar[str] = "summary"
    # The fields that say when something happened: never after today (`clean`).
    past_dates: ClassVar[tuple[str, ...]] = ()

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
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
        return Matter(type=MatterType.CASE, id=self.case_id)

    def clean(self) -> None:
        """Refuse a date of something that happened if it lies after today."""
        super().clean()
        errors = self.date_errors()
        if errors:
            raise ValidationError(errors)

    def date_errors(self) -> dict[str, ValidationError]:
        """Return, by field, the errors of dates that cannot be true."""
        return past_dates_errors(self, self.past_dates)

    def happened_on(self) -> datetime.date | None:
        """Return the day the record says it happened, for the timeline (None: as entered)."""
        value = getattr(self, self.past_dates[0], None) if self.past_dates else None
        return value if isinstance(value, datetime.date) else None


class Case(models.Model):
    """A child's case: the one identifier shown in lists, SMS and alerts is its code."""

    access_matter_type: ClassVar[str] = MatterType.CASE
    access_matter_field: ClassVar[str] = "pk"

    code = models.CharField(_("case code"), max_length=20, unique=True)
    county = models.ForeignKey(
        "places.County", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    child = models.ForeignKey(
        "people.Person", verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.ACTIVE
    )
    risk_level = models.CharField(
        _("risk level"), max_length=16, choices=RiskLevel.choices, default=RiskLevel.UNKNOWN
    )
    owning_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("owning agency"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caseworker"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_report_id = models.BigIntegerField(_("report"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "number"], name="cases_case_number_per_county_year"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(status__in=CLOSED_STATUSES),
                name="cases_case_closed_at_only_when_closed",
            ),
        ]
        indexes = [
            # the case list: filtered by status, newest first
            models.Index(fields=["status", "-opened_at"], name="cases_case_status_opened"),
            # the case list: filtered by risk, newest first
            models.Index(fields=["risk_level", "-opened_at"], name="cases_case_risk_opened"),
            # the case list's default order
            models.Index(fields=["-opened_at"], name="cases_case_opened"),
            # search before create: the cases of a person
            models.Index(fields=["child", "status"], name="cases_case_child"),
            # insights: the funnel's step from a report to the case opened from it
            models.Index(fields=["source_report_id"], name="cases_case_source_report"),
        ]

    def __str__(self) -> str:
        return self.code

    def access_matter(self) -> Matter:
        return Matter(type=MatterType.CASE, id=self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RoleOnCase(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker (owner)")
    CHILDRENS_OFFICER = "childrens_officer", _("Children's Officer")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    COUNSELLOR = "counsellor", _("Counsellor")
    INVESTIGATOR = "investigator", _("Investigator")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    HEALTH_WORKER = "health_worker", _("Health worker")
    SUPERVISOR = "supervisor", _("Supervisor")
    OTHER = "other", _("Other")


class CaseTeamMember(InCase):
    """A person on the case's team, from their agency, with a role, for a period."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="case_memberships",
    )
    agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    role_on_case = models.CharField(
        _("role on the case"), max_length=24, choices=RoleOnCase.choices
    )
    starts_at = models.DateTimeField(_("from"), default=timezone.now)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["starts_at"]
        indexes = [
            # the team of one case
            models.Index(fields=["case", "ends_at"], name="cases_team_case"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role_on_case} on {self.case_id}"

    @property
    def is_current(self) -> bool:
        return self.ends_at is None or self.ends_at > timezone.now()


class CaseEvent(InCase):
    """A decision or step in the case's life (opened, plan approved, closed...), for the
    timeline. It holds no free text beyond a short, non-identifying summary."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        TEAM = "team", _("Team changed")
        STATUS = "status", _("Status changed")
        RISK = "risk", _("Risk level changed")
        PLAN = "plan", _("Case plan")
        CLOSURE = "closure", _("Closure")
        REOPENED = "reopened", _("Case reopened")
        TRANSFER = "transfer", _("Transfer")
        CONSENT = "consent", _("Consent")
        PROMISE = "promise", _("Promise")
        TASK = "task", _("Task")
        REPORT = "report", _("Report")
        ASSESSMENT = "assessment", _("Assessment")
        NOTE = "note", _("Note")
        INTERVIEW = "interview", _("Interview")
        SESSION = "session", _("Counselling session")
        WELLBEING = "wellbeing", _("Wellbeing check")
        SAFETY = "safety", _("Safety event")
        REINTEGRATION = "reintegration", _("Reintegration")
        FOLLOW_UP = "follow_up", _("Follow-up")
        CHILD = "child", _("Child's profile")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The policy section of the record the event is about: the timeline shows an event only
    # to those who may view that section.
    event_section = models.CharField(_("section"), max_length=16, default="summary")
    # An English message id and its values (choice labels in English, codes, dates): the
    # timeline translates both when it is read. No free text, no names.
    summary = models.CharField(_("summary"), max_length=200)
    params = models.JSONField(_("values"), default=dict, blank=True)
    record_type = models.CharField(max_length=48, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    # The day it happened: the day it was entered, or the day its record says (a session
    # held last week, consent given yesterday). The timeline is ordered by it, then by
    # when it was entered.
    occurred_on = models.DateField(_("happened on"), default=timezone.localdate)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [
            # the case timeline: by the day it happened, then the moment it was entered
            models.Index(
                fields=["case", "event_section", "occurred_on", "created_at"],
                name="cases_event_timeline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"

    def clean(self) -> None:
        """Refuse a day of happening after today."""
        super().clean()
        errors = past_dates_errors(self, ("occurred_on",))
        if errors:
            raise ValidationError(errors)


# --- consent ---------------------------------------------------------------------------


class ConsentPurpose(models.TextChoices):
    REFERRAL = "referral", _("Referral to services")
    INFORMATION_SHARING = "information_sharing", _("Sharing information with a partner")
    MEDICAL = "medical", _("Medical examination and care")
    PSYCHOSOCIAL = "psychosocial", _("Counselling and psychosocial support")
    LEGAL = "legal", _("Legal proceedings")
    FAMILY_TRACING = "family_tracing", _("Family tracing and reunification")
    DATA_EXPORT = "data_export", _("Anonymised reporting and exports")


class ConsentGivenBy(models.TextChoices):
    CHILD = "child", _("The child")
    PARENT = "parent", _("A parent")
    GUARDIAN = "guardian", _("A guardian")
    CHILDRENS_OFFICER = "childrens_officer", _("A Children's Officer")
    COURT = "court", _("A court")
    SUPERVISOR_OVERRIDE = "override", _("Supervisor override")


class ConsentBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    ASSENT = "assent", _("Assent of the child with a parent's or guardian's consent")
    BEST_INTERESTS = "best_interests", _("Best interests (Children Act 2022)")
    COURT_ORDER = "court_order", _("Court order")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    VITAL_INTERESTS = "vital_interests", _("Vital interests – danger to life")
    OVERRIDE = "override", _("Supervisor override")


class Consent(InCase):
    """Consent (or another legal basis) to share with one agency for one purpose."""

    section: ClassVar[str] = "referral"
    past_dates: ClassVar[tuple[str, ...]] = ("given_on",)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=24, choices=ConsentPurpose.choices)
    recipient_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("recipient agency"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    given_by = models.CharField(_("given by"), max_length=24, choices=ConsentGivenBy.choices)
    basis = models.CharField(
        _("legal basis"), max_length=24, choices=ConsentBasis.choices, default=ConsentBasis.CONSENT
    )
    child_assented = models.BooleanField(_("the child agreed (assent)"), default=False)
    given_by_name = EncryptedTextField(_("name of the person who gave it"), blank=True)
    explained = EncryptedTextField(_("what was explained"))
    given_on = models.DateField(_("given on"), default=timezone.localdate)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_note = EncryptedTextField(_("withdrawal note"), blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [
            # consent_allows(): the consents of a case for a recipient and purpose
            models.Index(
                fields=["case", "recipient_agency", "purpose"], name="cases_consent_lookup"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} → {self.recipient_agency_id}"

    def date_errors(self) -> dict[str, ValidationError]:
        """A consent is given today or before, and expires no earlier than that."""
        errors = super().date_errors()
        expiry = expiry_after_start(self.given_on, self.expires_on)
        if expiry is not None:
            errors["expires_on"] = expiry
        return errors

    @property
    def is_live(self) -> bool:
        today = timezone.localdate()
        return self.withdrawn_at is None and (self.expires_on is None or self.expires_on >= today)


# --- screening and assessment ------------------------------------------------------------


class AssessmentKind(models.TextChoices):
    SCREENING = "screening", _("Screening")
    ASSESSMENT = "assessment", _("Full assessment")
    REVIEW = "review", _("Review")


class TraffickingStatus(models.TextChoices):
    """HTCDS: is the person a victim of trafficking?"""

    POSSIBLE = "possible", _("Possible victim")
    ACTUAL = "actual", _("Victim of trafficking")
    NOT_VICTIM = "not_victim", _("Not a victim of trafficking")


class DecidedBy(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    CHILDRENS_OFFICER = "childrens_officer", _("Children's Officer")
    POLICE = "police", _("Police")
    PROSECUTION = "prosecution", _("Prosecution")
    COURT = "court", _("Court")
    IOM_OR_UN = "iom_un", _("IOM or another UN agency")
    OTHER = "other", _("Other")


class PalermoAct(models.TextChoices):
    RECRUITMENT = "recruitment", _("Recruitment")
    TRANSPORTATION = "transportation", _("Transportation")
    TRANSFER = "transfer", _("Transfer")
    HARBOURING = "harbouring", _("Harbouring")
    RECEIPT = "receipt", _("Receipt")


class PalermoMeans(models.TextChoices):
    THREAT = "threat", _("Threat")
    FORCE = "force", _("Use of force")
    COERCION = "coercion", _("Other coercion")
    ABDUCTION = "abduction", _("Abduction")
    FRAUD = "fraud", _("Fraud")
    DECEPTION = "deception", _("Deception")
    ABUSE_OF_POWER = "abuse_of_power", _("Abuse of power")
    ABUSE_OF_VULNERABILITY = "abuse_of_vulnerability", _("Abuse of a position of vulnerability")
    PAYMENTS = "payments", _("Giving or receiving payments or benefits")


class PalermoPurpose(models.TextChoices):
    SEXUAL_EXPLOITATION = "sexual_exploitation", _("Sexual exploitation")
    PROSTITUTION_OF_OTHERS = (
        "prostitution_of_others",
        _("Exploitation of the prostitution of others"),
    )
    FORCED_LABOUR = "forced_labour", _("Forced labour or services")
    SLAVERY = "slavery", _("Slavery or practices similar to slavery")
    SERVITUDE = "servitude", _("Servitude")
    ORGAN_REMOVAL = "organ_removal", _("Removal of organs")


class ControlMethod(models.TextChoices):
    """HTCDS means of control."""

    PSYCHOLOGICAL_ABUSE = "psychological_abuse", _("Psychological abuse")
    PHYSICAL_ABUSE = "physical_abuse", _("Physical abuse")
    SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse")
    THREATS_TO_FAMILY = "threats_to_family", _("Threats against family")
    RESTRICTED_MOVEMENT = "restricted_movement", _("Restricted movement")
    WITHHELD_DOCUMENTS = "withheld_documents", _("Documents withheld")
    DEBT_BONDAGE = "debt_bondage", _("Debt bondage")
    WITHHELD_EARNINGS = "withheld_earnings", _("Earnings withheld")
    DRUGS_ALCOHOL = "drugs_alcohol", _("Drugs or alcohol")
    FALSE_PROMISES = "false_promises", _("False promises")
    ISOLATION = "isolation", _("Isolation")
    ONLINE_BLACKMAIL = "online_blackmail", _("Blackmail with images (sextortion)")


class SexualExploitationType(models.TextChoices):
    COMMERCIAL_IN_PERSON = "commercial_in_person", _("Commercial sexual exploitation in person")
    TRAVEL_AND_TOURISM = "travel_and_tourism", _("Exploitation in travel and tourism")
    REMOTE_LIVE_STREAMING = "remote_live_streaming", _("Remote: live-streamed abuse")
    ONLINE_IMAGES = "online_images", _("Online: production or sharing of abuse images")
    ONLINE_GROOMING = "online_grooming", _("Online grooming or sextortion")
    CHILD_MARRIAGE = "child_marriage", _("Child, early or forced marriage")
    OTHER = "other", _("Other")


class RecruitmentChannel(models.TextChoices):
    FAMILY = "family", _("Family member")
    FRIEND = "friend", _("Friend or peer")
    INTIMATE_PARTNER = "intimate_partner", _("Intimate partner")
    COMMUNITY = "community", _("Community member")
    EMPLOYER = "employer", _("Job offer or employer")
    AGENT = "agent", _("Agent or broker")
    ONLINE = "online", _("Online: social media or an app")
    STRANGER = "stranger", _("Stranger")
    UNKNOWN = "unknown", _("Not known")


class RecruitmentApp(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    WHATSAPP = "whatsapp", "WhatsApp"
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    TELEGRAM = "telegram", "Telegram"
    SNAPCHAT = "snapchat", "Snapchat"
    DATING = "dating", _("A dating app")
    GAME = "game", _("An online game")
    OTHER = "other", _("Other")


class AgeBasis(models.TextChoices):
    DOCUMENTED = "documented", _("Date of birth from a document")
    ASSESSED = "assessed", _("Age assessed by a professional")
    APPARENT = "apparent", _("Apparent age")
    UNKNOWN = "unknown", _("Not known")


class Need(models.TextChoices):
    SAFETY = "safety", _("Safety")
    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")
    LEGAL = "legal", _("Legal")
    EDUCATION = "education", _("Education")
    FAMILY = "family", _("Family")
    LIVELIHOOD = "livelihood", _("Livelihood")


class Assessment(InCase):
    """Screening or assessment (care section): HTCDS elements, risk, needs, best interests."""

    section: ClassVar[str] = "care"
    past_dates: ClassVar[tuple[str, ...]] = ("assessed_on",)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(_("kind"), max_length=16, choices=AssessmentKind.choices)
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    trafficking_status = models.CharField(
        _("trafficking status"), max_length=16, choices=TraffickingStatus.choices
    )
    status_decided_by = models.CharField(
        _("status decided by"), max_length=24, choices=DecidedBy.choices
    )
    palermo_acts = models.JSONField(_("act"), default=list, blank=True)
    palermo_means = models.JSONField(_("means"), default=list, blank=True)
    palermo_purposes = models.JSONField(_("purpose"), default=list, blank=True)
    control_methods = models.JSONField(_("methods of control"), default=list, blank=True)
    exploitation_types = models.JSONField(
        _("type of sexual exploitation"), default=list, blank=True
    )
    recruitment_channel = models.CharField(
        _("recruitment channel"),
        max_length=24,
        choices=RecruitmentChannel.choices,
        default=RecruitmentChannel.UNKNOWN,
    )
    recruitment_apps = models.JSONField(_("apps used"), default=list, blank=True)
    age_basis = models.CharField(_("age known from"), max_length=16, choices=AgeBasis.choices)
    assessed_age = models.PositiveSmallIntegerField(
        _("assessed or apparent age"), null=True, blank=True
    )
    is_child = models.BooleanField(_("child"), default=True)
    risk_level = models.CharField(_("risk level"), max_length=16, choices=RiskLevel.choices)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    risk_notes = EncryptedTextField(_("risks found"), blank=True)
    best_interests = EncryptedTextField(_("best-interests assessment"), blank=True)
    child_views = EncryptedTextField(_("the child's own views"), blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [models.Index(fields=["case", "assessed_on"], name="cases_assessment_case")]

    def __str__(self) -> str:
        return f"{self.kind} {self.assessed_on}"


# --- case plan and approvals -----------------------------------------------------------------


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned with comments")


class CasePlan(InCase):
    """One version of the case plan. A new version starts when an approved plan changes."""

    section: ClassVar[str] = "care"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="plans")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    state = models.CharField(
        _("state"), max_length=16, choices=PlanState.choices, default=PlanState.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comments = EncryptedTextField(_("supervisor's comments"), blank=True)

    class Meta:
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="cases_plan_version"),
        ]

    def __str__(self) -> str:
        return f"plan v{self.version} ({self.state})"


class PlanItemKind(models.TextChoices):
    GOAL = "goal", _("Goal")
    SERVICE = "service", _("Service")


class PlanItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class PlanItem(InCase):
    """A goal of the plan or a service to deliver, with the need it meets and a due date."""

    section: ClassVar[str] = "care"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(CasePlan, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(_("kind"), max_length=8, choices=PlanItemKind.choices)
    need = models.CharField(_("need"), max_length=16, choices=Need.choices)
    description = EncryptedTextField(_("description"))
    provider_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("provided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=8, choices=PlanItemStatus.choices, default=PlanItemStatus.OPEN
    )
    # The referral that meets this item, if one does (the referrals app sits above cases, so
    # an id, as `Case.source_report_id`): the item follows the referral's state.
    referral_id = models.BigIntegerField(_("met by referral"), null=True, blank=True)
    # Bumped by every save that changes the item: an edit form opened on an earlier
    # version is refused (`kinga.lib.concurrency`).
    version = models.PositiveIntegerField(_("edit version"), default=1)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.need} by {self.due_on}"


class ApprovalState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned with comments")


class ClosureRequest(InCase):
    """A caseworker's request to close the case, decided by a supervisor."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="closures")
    closing_status = models.CharField(
        _("close as"),
        max_length=16,
        choices=[(s.value, s.label) for s in CLOSED_STATUSES],
    )
    reason = EncryptedTextField(_("why the case can close"))
    state = models.CharField(
        _("state"), max_length=16, choices=ApprovalState.choices, default=ApprovalState.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    comments = EncryptedTextField(_("supervisor's comments"), blank=True)

    class Meta:
        verbose_name = _("closure request")
        verbose_name_plural = _("closure requests")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(state="requested"),
                name="cases_one_pending_closure",
            ),
        ]

    def __str__(self) -> str:
        return f"closure of {self.case_id} ({self.state})"


class TransferState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the receiving agency")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class CaseTransfer(InCase):
    """Moving ownership of the case to another agency: requested, then accepted or declined."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="transfers")
    from_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("to agency"), on_delete=models.PROTECT, related_name="+"
    )
    reason = EncryptedTextField(_("reason for the transfer"))
    state = models.CharField(
        _("state"), max_length=16, choices=TransferState.choices, default=TransferState.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = EncryptedTextField(_("note on the decision"), blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="requested"), name="cases_one_pending_transfer"
            ),
        ]
        indexes = [
            # "my work": transfers waiting for my agency
            models.Index(fields=["to_agency", "state"], name="cases_transfer_inbox"),
        ]

    def __str__(self) -> str:
        return f"transfer of {self.case_id} to {self.to_agency_id} ({self.state})"


# --- tasks and promises -------------------------------------------------------------------


class Task(InCase):
    """Work for one team member, with a due date (a reminder when it falls due)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="tasks")
    title = EncryptedTextField(_("what to do"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="case_tasks",
    )
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "pk"]
        indexes = [
            # "my work": my open tasks by due date
            models.Index(fields=["assigned_to", "done_at", "due_on"], name="cases_task_mine"),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} due {self.due_on}"

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_on < timezone.localdate()


class PromiseKind(models.TextChoices):
    REFERRAL = "referral", _("A referral")
    FOLLOW_UP = "follow_up", _("A follow-up visit")
    RETURN_CALL = "return_call", _("A return call")
    DOCUMENT = "document", _("A document (birth certificate, school letter...)")
    OTHER = "other", _("Something else")


class PromiseState(models.TextChoices):
    OPEN = "open", _("Open")
    KEPT = "kept", _("Kept")
    EXPLAINED = "explained", _("Not kept – explained to the child")


class Promise(InCase):
    """A commitment made to the survivor, tracked until it is kept or explained."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="promises")
    kind = models.CharField(_("kind"), max_length=16, choices=PromiseKind.choices)
    description = EncryptedTextField(_("what was promised"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who keeps it"),
        on_delete=models.PROTECT,
        related_name="case_promises",
    )
    due_on = models.DateField(_("due on"))
    state = models.CharField(
        _("state"), max_length=16, choices=PromiseState.choices, default=PromiseState.OPEN
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    explanation = EncryptedTextField(_("what happened"), blank=True)
    overdue_notified_on = models.DateField(null=True, blank=True)
    # What the promise is about (e.g. "referrals.referral", 12), to close it with that record.
    source_type = models.CharField(max_length=48, blank=True)
    source_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        ordering = ["due_on", "pk"]
        indexes = [
            # "my work" and the overdue sweep: open promises by due date
            models.Index(fields=["state", "due_on"], name="cases_promise_open"),
            models.Index(fields=["owner", "state", "due_on"], name="cases_promise_mine"),
        ]

    def __str__(self) -> str:
        return f"promise {self.pk} due {self.due_on}"

    @property
    def is_overdue(self) -> bool:
        return self.state == PromiseState.OPEN and self.due_on < timezone.localdate()


# --- notes and interviews -------------------------------------------------------------------


class Sensitivity(models.TextChoices):
    GENERAL = "general", _("General (the whole team)")
    CARE = "care", _("Care (caseworkers and counsellors)")
    JUSTICE = "justice", _("Justice (police and prosecution)")


SECTION_OF_SENSITIVITY = {
    Sensitivity.GENERAL: "summary",
    Sensitivity.CARE: "care",
    Sensitivity.JUSTICE: "justice",
}


class Note(InCase):
    """A case note; its sensitivity decides which policy section it falls in."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="notes")
    sensitivity = models.CharField(_("who may read it"), max_length=8, choices=Sensitivity.choices)
    text = EncryptedTextField(_("note"))

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [
            models.Index(fields=["case", "sensitivity", "created_at"], name="cases_note_case"),
        ]

    def __str__(self) -> str:
        return f"note {self.pk} ({self.sensitivity})"

    @property
    def policy_section(self) -> str:
        return SECTION_OF_SENSITIVITY[Sensitivity(self.sensitivity)]


class InterviewState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Interview(InCase):
    """An interview of the child (justice section): recorded once, shared under the policy.

    The recording itself is never stored here: only where it is kept.
    """

    section: ClassVar[str] = "justice"
    past_dates: ClassVar[tuple[str, ...]] = ("held_on",)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="interviews")
    state = models.CharField(
        _("state"), max_length=16, choices=InterviewState.choices, default=InterviewState.HELD
    )
    held_on = models.DateField(_("date"))
    purpose = EncryptedTextField(_("purpose"))
    present = EncryptedTextField(_("who was present"), blank=True)
    place = EncryptedTextField(_("where"), blank=True)
    recording_reference = EncryptedTextField(
        _("where the recording is kept (a reference, never the media)"), blank=True
    )
    recording_kept_by = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("recording kept by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    justification = EncryptedTextField(_("why another interview is needed"), blank=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        indexes = [models.Index(fields=["case", "state"], name="cases_interview_case")]

    def __str__(self) -> str:
        return f"interview {self.pk} ({self.state})"

    def date_errors(self) -> dict[str, ValidationError]:
        """A planned interview may lie ahead; one held happened today or before."""
        return super().date_errors() if self.state == InterviewState.HELD else {}


# --- aftercare ------------------------------------------------------------------------------


class SessionType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual counselling")
    GROUP = "group", _("Group session")
    FAMILY = "family", _("Family session")
    CRISIS = "crisis", _("Crisis support")
    PLAY_ART = "play_art", _("Play or art therapy")
    TRAUMA_FOCUSED = "trauma_focused", _("Trauma-focused CBT")


class Attendance(models.TextChoices):
    ATTENDED = "attended", _("Attended")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class CounsellingSession(InCase):
    section: ClassVar[str] = "care"
    past_dates: ClassVar[tuple[str, ...]] = ("held_on",)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField(_("date"))
    session_type = models.CharField(_("type"), max_length=16, choices=SessionType.choices)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counsellor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    attendance = models.CharField(_("attendance"), max_length=16, choices=Attendance.choices)
    notes = EncryptedTextField(_("session notes"), blank=True)

    class Meta:
        verbose_name = _("counselling session")
        verbose_name_plural = _("counselling sessions")
        indexes = [models.Index(fields=["case", "held_on"], name="cases_session_case")]

    def __str__(self) -> str:
        return f"session {self.held_on}"


class WellbeingMeasure(InCase):
    """One administration of the wellbeing check (see kinga/cases/wellbeing.py)."""

    section: ClassVar[str] = "care"
    past_dates: ClassVar[tuple[str, ...]] = ("measured_on",)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="wellbeing")
    measured_on = models.DateField(_("date"))
    scores = models.JSONField(_("item scores"))
    total = models.PositiveSmallIntegerField(_("total"))
    language = models.CharField(
        _("language used"), max_length=2, choices=[("en", "English"), ("sw", "Kiswahili")]
    )

    class Meta:
        verbose_name = _("wellbeing measure")
        verbose_name_plural = _("wellbeing measures")
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0, total__lte=18), name="cases_wellbeing_total_range"
            ),
        ]
        indexes = [models.Index(fields=["case", "measured_on"], name="cases_wellbeing_case")]

    def __str__(self) -> str:
        return f"wellbeing {self.total} on {self.measured_on}"


class SafetyEventKind(models.TextChoices):
    RE_EXPLOITATION = "re_exploitation", _("Re-exploitation")
    MISSING = "missing", _("Went missing")
    CONTACT_BY_EXPLOITER = "contact", _("Contacted by an exploiter")
    THREAT = "threat", _("Threat to the child or family")
    SELF_HARM = "self_harm", _("Self-harm")
    OTHER = "other", _("Other")


class SafetyEvent(InCase):
    section: ClassVar[str] = "care"
    past_dates: ClassVar[tuple[str, ...]] = ("occurred_on",)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="safety_events")
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(_("what happened"), max_length=16, choices=SafetyEventKind.choices)
    description = EncryptedTextField(_("description"), blank=True)
    action_taken = EncryptedTextField(_("action taken"), blank=True)

    class Meta:
        verbose_name = _("safety event")
        verbose_name_plural = _("safety events")

    def __str__(self) -> str:
        return f"{self.kind} on {self.occurred_on}"


class ReintegrationDomain(models.TextChoices):
    FAMILY = "family", _("Family")
    SCHOOL = "school", _("School")
    LIVELIHOOD = "livelihood", _("Livelihood")


class ReintegrationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    BROKE_DOWN = "broke_down", _("Broke down")


class ReintegrationStep(InCase):
    section: ClassVar[str] = "care"
    past_dates: ClassVar[tuple[str, ...]] = ("recorded_on",)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="reintegration")
    recorded_on = models.DateField(_("date"))
    domain = models.CharField(_("domain"), max_length=16, choices=ReintegrationDomain.choices)
    status = models.CharField(_("status"), max_length=16, choices=ReintegrationStatus.choices)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("reintegration step")
        verbose_name_plural = _("reintegration steps")

    def __str__(self) -> str:
        return f"{self.domain} {self.status}"


class FollowUpOutcome(models.TextChoices):
    WELL = "well", _("Doing well")
    CONCERNS = "concerns", _("Concerns – support needed")
    LOST_CONTACT = "lost_contact", _("Could not be reached")


class FollowUp(InCase):
    """A follow-up contact, including after closure."""

    section: ClassVar[str] = "care"
    past_dates: ClassVar[tuple[str, ...]] = ("held_on",)

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="follow_ups")
    held_on = models.DateField(_("date"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=FollowUpOutcome.choices)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"follow-up {self.held_on}"
