"""The record of processing: what this deployment processes, why, on what basis, for how long,
and who receives it, for the agencies' registration with the Data Commissioner.

Built from what the code already says, so it cannot drift from it: the retention schedule
(kinds, periods, legal bases), the access policy (which role receives which section of which
matter, through which relation) and the registers kept here. The prose parts (purposes,
categories) are the design's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kinga.access.models import Relation
from kinga.access.policy import INTEGRATION, POLICY, SECTIONS
from kinga.accounts.models import Role
from kinga.dataprotection.services import schedule

SECTION_LABELS: dict[str, Promise] = {
    "summary": _("the matter itself (code, status, dates, team)"),
    "identity": _("identity (names, dates of birth, phones, addresses)"),
    "care": _("care (assessments, counselling, wellbeing)"),
    "justice": _("justice (statements, interviews, evidence)"),
    "referral": _("referrals (the minimum a receiving service needs)"),
}

PURPOSES: tuple[tuple[Promise, Promise], ...] = (
    (
        _("Receiving reports of children at risk"),
        _(
            "Children Act 2022 (duty to protect children); Data Protection Act 2019 s.30 "
            "(vital interests, public duty) and s.33 (children's data in their best interests)"
        ),
    ),
    (
        _("Managing survivors' cases, care and referrals"),
        _(
            "Children Act 2022; Counter-Trafficking in Persons Act 2010 (victim assistance); "
            "Data Protection Act 2019 s.33 (consent of a parent or guardian, or the child's "
            "best interests) and s.44 and s.45 (sensitive and health data)"
        ),
    ),
    (
        _("Investigating and prosecuting offences against children"),
        _(
            "Counter-Trafficking in Persons Act 2010; Sexual Offences Act 2006; Data "
            "Protection Act 2019 s.51(2)(b) (prevention and detection of crime)"
        ),
    ),
    (
        _("Figures for the programme, with small counts suppressed"),
        _(
            "Data Protection Act 2019 s.53 (research, history and statistics), on "
            "anonymised figures"
        ),
    ),
)

SUBJECTS: tuple[Promise, ...] = (
    _("Children at risk, exploited or trafficked (survivors)"),
    _("Their parents, guardians and support persons"),
    _("People who report (often anonymous)"),
    _("People of interest to an investigation, and accused persons"),
    _("Witnesses"),
    _("Staff of the agencies (users)"),
)

SAFEGUARDS: tuple[Promise, ...] = (
    _("Need to know: one access policy, by relationship to the matter, tested cell by cell"),
    _("Identities and free text encrypted at rest (AES-GCM), keys outside the database"),
    _("Every view, change and export recorded in a keyed, chained audit log"),
    _("Two-factor sign-in for every staff member; lockout; short sessions"),
    _("Retention schedule with legal holds; breach register with the 72-hour clock"),
)


@dataclass(frozen=True)
class Recipient:
    role: str
    role_label: str
    relations: list[str]
    sections: list[str]


def _role_label(role: str) -> str:
    """A person's role by its name; a connected system (the open API's integration principal,
    never a person's role) as such."""
    if role in Role.values:
        return str(Role(role).label)
    if role == INTEGRATION:
        return str(_("A connected system of an agency (open API integration)"))
    return role


def recipients() -> list[Recipient]:
    """Return, for each role the policy names, what it may receive and through which relation."""
    by_role: dict[str, tuple[set[str], set[str]]] = {}
    for (role, relation), cells in POLICY.items():
        sections = {section for section, actions in cells.items() if actions}
        if not sections:
            continue
        relations, seen = by_role.setdefault(str(role), (set(), set()))
        relations.add(str(Relation(relation).label))
        seen |= sections
    return [
        Recipient(
            role=role,
            role_label=_role_label(role),
            relations=sorted(relations),
            sections=[str(SECTION_LABELS[s]) for s in SECTIONS if s in seen],
        )
        for role, (relations, seen) in by_role.items()
    ]


def processing_record() -> dict[str, object]:
    """Return the record of processing as plain data (for the page and the export)."""
    return {
        "purposes": [{"purpose": str(p), "basis": str(b)} for p, b in PURPOSES],
        "data_subjects": [str(s) for s in SUBJECTS],
        "categories": [str(label) for label in SECTION_LABELS.values()],
        "recipients": [
            {"role": r.role_label, "through": r.relations, "receives": r.sections}
            for r in recipients()
        ],
        "retention": [
            {
                "records": str(row.kind.label),
                "covers": str(row.kind.covers),
                "action": row.kind.action_label,
                "keep_days": row.keep_days,
                "legal_basis": row.legal_basis,
                "recipients": str(row.kind.recipients),
            }
            for row in schedule()
        ],
        "transfers_outside_kenya": str(
            _("None by Kinga; the deployment's host and SMS gateway are named in its contracts.")
        ),
        "safeguards": [str(s) for s in SAFEGUARDS],
    }


def processing_lines(record: dict[str, object]) -> list[str]:
    """Return the record of processing as readable lines (for the PDF)."""
    lines = [str(_("Record of processing")), ""]
    lines.append(str(_("Purposes and legal basis")))
    for item in record["purposes"]:  # type: ignore[attr-defined]
        lines.append(f"  - {item['purpose']}: {item['basis']}")
    lines += ["", str(_("Whose data"))]
    lines += [f"  - {s}" for s in record["data_subjects"]]  # type: ignore[attr-defined]
    lines += ["", str(_("Who receives it"))]
    for item in record["recipients"]:  # type: ignore[attr-defined]
        lines.append(
            f"  - {item['role']} ({', '.join(item['through'])}): {'; '.join(item['receives'])}"
        )
    lines += ["", str(_("How long it is kept"))]
    for item in record["retention"]:  # type: ignore[attr-defined]
        kept = str(_("%(action)s after %(days)s days")) % {
            "action": item["action"],
            "days": item["keep_days"],
        }
        lines.append(f"  - {item['records']}: {kept}. {item['legal_basis']}")
    lines += ["", str(_("Transfers outside Kenya")), f"  {record['transfers_outside_kenya']}"]
    lines += ["", str(_("Safeguards"))]
    lines += [f"  - {s}" for s in record["safeguards"]]  # type: ignore[attr-defined]
    return lines
