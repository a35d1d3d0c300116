"""The demo referrals load after the demo cases, cover every state, and load once."""

from __future__ import annotations

import pytest

from kinga.referrals.models import Referral, ReferralStatus


@pytest.mark.django_db
def test_demo_referrals_cover_every_state_and_load_once() -> None:
    from kinga.accounts import demo as accounts_demo
    from kinga.cases import demo as cases_demo
    from kinga.directory import demo as demo_directory
    from kinga.referrals import demo

    lines: list[str] = []
    accounts_demo.load(out=lines.append)
    demo_directory.load(out=lines.append)
    cases_demo.load(out=lines.append)
    demo.load(out=lines.append)
    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert any(referral.is_overdue for referral in Referral.objects.all())
    assert Referral.objects.filter(receiving_agency__name=demo.SHELTER).exists()
    count = Referral.objects.count()
    demo.load(out=lines.append)
    assert Referral.objects.count() == count
