"""The child's profile on a case: names, sex, age, languages, identifiers and the guardian.

The child is a `people.Person` (identity encrypted, search tokens and blind indexes kept by
`kinga.people.services`); the case is the matter through which the team changes it, so the
change is checked against the case's identity section and shows on the case's trail.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kinga.access import policy
from kinga.access.models import MatterType
from kinga.audit.selectors import last_saved
from kinga.cases.models import AgeBasis as AssessedAgeBasis
from kinga.cases.models import Case, CaseEvent
from kinga.cases.services.base import _event, _require
from kinga.lib.concurrency import version_check
from kinga.people.models import (
    AgeBasis,
    IdentifierKind,
    LinkRole,
    Person,
    PersonIdentifier,
    PersonKind,
)
from kinga.people.services import person_create, person_link, person_update

if TYPE_CHECKING:
    from kinga.accounts.models import User

# How an assessment's "age known from" becomes the basis of the person's age.
AGE_BASIS_OF_ASSESSMENT = {
    AssessedAgeBasis.DOCUMENTED: AgeBasis.DOCUMENT,
    AssessedAgeBasis.ASSESSED: AgeBasis.ASSESSED,
    AssessedAgeBasis.APPARENT: AgeBasis.APPARENT,
}


def _guardian_of(case: Case) -> Person | None:
    from kinga.people.models import PersonLink

    link = (
        PersonLink.objects.filter(
            matter_type=MatterType.CASE, matter_id=case.pk, role=LinkRole.GUARDIAN
        )
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return link.person if link is not None else None


def _other_identifiers(person: Person, replaced: str) -> list[tuple[str, str, str]]:
    """Return the person's identifiers other than phones and the replaced kind, as input."""
    return [
        (row.kind, row.value, row.platform)
        for row in PersonIdentifier.objects.filter(person=person).exclude(
            kind__in=[IdentifierKind.PHONE, replaced]
        )
    ]


@transaction.atomic(durable=True)
def case_child_update(
    *,
    case: Case,
    actor: User,
    given_name: str,
    family_name: str,
    other_names: str = "",
    sex: str = "",
    date_of_birth: datetime.date | None = None,
    age_estimate: int | None = None,
    age_basis: str = "",
    languages: Iterable[str] = (),
    phone: str = "",
    birth_certificate: str = "",
    guardian_given_name: str = "",
    guardian_family_name: str = "",
    guardian_phone: str = "",
    expected_version: int | None = None,
) -> Person:
    """Record what the team knows of the child (and of the parent or guardian); return the child.

    A date of birth wins over an estimated age: with one, the estimate is cleared and the
    basis is the document. A date of birth in the future is refused. The changes are
    audited by `people` on the case's trail, and the timeline says the profile changed
    (never what it says).

    `expected_version` is the child's edit version the form was opened on: when the
    profile (the child's or the guardian's part) was saved since, raise `StaleEdit` and
    write nothing (see `kinga.lib.concurrency`).
    """
    _require(actor, "change", case, "identity")
    child = case.child
    stored = Person.objects.select_for_update().values_list("version", flat=True)
    version_check(
        stored=stored.get(pk=child.pk),
        expected=expected_version,
        last_saved=lambda: last_saved(
            record_type="people.person", matter_type=MatterType.CASE, matter_id=case.pk
        ),
    )
    child.refresh_from_db()
    version_before = child.version
    today = timezone.localdate()
    if date_of_birth is not None and date_of_birth > today:
        raise ValidationError({"date_of_birth": _("A date of birth cannot be in the future.")})
    if date_of_birth is not None:
        age_estimate = None
        age_basis = AgeBasis.DOCUMENT
    elif age_estimate is not None and not age_basis:
        age_basis = AgeBasis.APPARENT
    elif age_estimate is None:
        age_basis = ""
    try:
        person_update(
            person=child,
            actor=actor,
            matter=case,
            given_name=given_name,
            family_name=family_name,
            other_names=other_names,
            sex=sex,
            date_of_birth=date_of_birth,
            age_estimate=age_estimate,
            age_basis=age_basis,
            languages=sorted(set(languages)),
            phones=[phone] if phone.strip() else [],
            identifiers=[
                *_other_identifiers(child, IdentifierKind.BIRTH_CERTIFICATE),
                *(
                    [(IdentifierKind.BIRTH_CERTIFICATE, birth_certificate, "")]
                    if birth_certificate.strip()
                    else []
                ),
            ],
        )
    except ValueError as error:
        raise ValidationError({"phone": _("This phone number cannot be read.")}) from error
    guardian_changed = _guardian_save(
        case=case,
        actor=actor,
        given_name=guardian_given_name,
        family_name=guardian_family_name,
        phone=guardian_phone,
    )
    if guardian_changed and child.version == version_before:
        # the guardian is part of the child's profile: a form opened before is stale too
        Person.objects.filter(pk=child.pk).update(version=F("version") + 1)
        child.refresh_from_db(fields=["version"])
    _event(
        case,
        actor,
        CaseEvent.Kind.CHILD,
        gettext_noop("The child's profile was updated"),
        section="identity",
    )
    return child


def _guardian_save(
    *, case: Case, actor: User, given_name: str, family_name: str, phone: str
) -> bool:
    """Record the parent or guardian; return whether anything changed."""
    guardian = _guardian_of(case)
    phones = [phone] if phone.strip() else []
    try:
        if guardian is None:
            if not (given_name.strip() or family_name.strip() or phones):
                return False
            guardian = person_create(
                actor=actor,
                kind=PersonKind.GUARDIAN,
                given_name=given_name,
                family_name=family_name,
                phones=phones,
                matter=case,
            )
            person_link(person=guardian, matter=case, role=LinkRole.GUARDIAN, actor=actor)
            return True
        before = guardian.version
        person_update(
            person=guardian,
            actor=actor,
            matter=case,
            given_name=given_name,
            family_name=family_name,
            phones=phones,
        )
        return guardian.version != before
    except ValueError as error:
        raise ValidationError({"guardian_phone": _("This phone number cannot be read.")}) from error


def child_age_from_assessment(
    *, case: Case, actor: User, assessed_age: int | None, age_basis: str
) -> bool:
    """Let an assessment's age become the child's, inside the assessment's transaction.

    Only an age, only when the child has no date of birth (a document wins), and only for
    an assessor who may change the child's identity; return whether the age was taken.
    """
    basis = AGE_BASIS_OF_ASSESSMENT.get(age_basis)  # type: ignore[call-overload]
    child = case.child
    if assessed_age is None or basis is None or child.date_of_birth is not None:
        return False
    if not policy.can(actor, "change", case, "identity"):
        return False
    if child.age_estimate == assessed_age and child.age_basis == basis:
        return False
    person_update(
        person=child, actor=actor, matter=case, age_estimate=assessed_age, age_basis=basis
    )
    return True
