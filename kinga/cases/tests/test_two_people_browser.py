"""Issue 22 point 4 in a real browser: two people, each in their own browser on a phone,
change the same goal of a case plan. The caseworker (English) saves first; the Children's
Officer (Kiswahili) is refused in Kiswahili, sees what is stored now beside what she typed,
and saves again from the refused form."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from conftest import browser_sign_in
from kinga.cases import services
from kinga.cases.models import PlanItem, RoleOnCase
from kinga.cases.tests.conftest import open_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_two_people_change_the_same_plan_goal_and_nothing_typed_is_lost(
    live_server, browser_page, personas
) -> None:
    case = open_case(personas)
    services.case_team_add(
        case=case,
        user=personas.children_officer,
        role_on_case=RoleOnCase.CHILDRENS_OFFICER,
        actor=personas.caseworker,
    )
    item = services.plan_item_add(
        case=case,
        actor=personas.caseworker,
        kind="goal",
        need="education",
        description="Back in school by next term",
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    base = live_server.url
    url = f"{base}/cases/{case.pk}/plan_item/{item.pk}/edit/"

    amina = browser_page  # the caseworker, in English
    browser_sign_in(amina, base, personas.caseworker)
    second = amina.context.browser.new_context(viewport=PHONE)
    try:
        zuhura = second.new_page()  # the Children's Officer, in Kiswahili, her own browser
        zuhura.set_default_timeout(15000)
        second.add_cookies([{"name": "django_language", "value": "sw", "url": base}])
        browser_sign_in(zuhura, base, personas.children_officer)

        # both open the goal as it is now
        amina.goto(url)
        zuhura.goto(url)
        assert zuhura.locator("html").get_attribute("lang") == "sw"

        amina.fill("#id_description", "Enrolled at Likoni Primary, class 6")
        amina.click("main form button[type=submit]")
        amina.wait_for_url(f"{base}/cases/{case.pk}/")
        assert "Enrolled at Likoni Primary, class 6" in amina.locator("#plan").inner_text()

        typed = "Kozi ya ushonaji Kilifi badala ya shule"
        zuhura.fill("#id_description", typed)
        zuhura.select_option("#id_need", "livelihood")
        zuhura.click("main form button[type=submit]")

        # refused, in Kiswahili: who saved, what is stored now, her text still in the form
        notice = zuhura.locator("#stale-edit")
        assert notice.is_visible()
        text = notice.inner_text()
        assert "Mtu mwingine amehifadhi rekodi hii wakati huo huo" in text
        assert "Imehifadhiwa na Amina" in text
        assert "Enrolled at Likoni Primary, class 6" in text
        assert "Back in school by next term" in text
        assert zuhura.input_value("#id_description") == typed
        assert zuhura.input_value("#id_need") == "livelihood"
        assert "Imebadilishwa wakati huo huo" in zuhura.locator("main form").inner_text()
        item.refresh_from_db()
        assert item.description == "Enrolled at Likoni Primary, class 6"

        # she keeps her text and saves again: the form carries the version now stored
        zuhura.click("main form button[type=submit]")
        zuhura.wait_for_url(f"{base}/cases/{case.pk}/")
        item = PlanItem.objects.get(pk=item.pk)
        assert (item.description, item.need, item.version) == (typed, "livelihood", 3)
        assert typed in zuhura.locator("#plan").inner_text()
    finally:
        second.close()
