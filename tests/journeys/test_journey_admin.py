"""The administrator's journey (issue 22 point 1), in English on a desk: create a user for an
agency, give them the caseworker's role (it waits: a role that reveals case content takes
effect only when a second person approves it, and the supervisor of the agency does), and
read the audit log, which shows who did what to which record and when, never the reason a
caseworker typed. The pages seen are revisited in Kiswahili on a phone.

Django admin's own markup is Kinga's to fix where Kinga chooses it (the roles' inline is
stacked so each field has its label; the audit log's matter filter names its blank value).
What stays Django's is listed with its reason in `walk_b.ADMIN_EXCLUDED_RULES`, switched
off on /admin/ pages only."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from kinga.accounts.models import AccessChangeRequest, AccessChangeState, RoleAssignment, User
from kinga.audit.models import AuditEvent
from kinga.audit.tests.raw import typed_words
from kinga.cases.tests.conftest import open_case
from tests.journeys.walk_b import DESK, PHONE, path_of, revisit, screen, walk_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The reason `open_case` types when the caseworker opens the case.
TYPED = "Triaged complaint of a girl exploited near the ferry"


def test_an_admin_creates_a_user_whose_role_waits_for_a_second_person_and_reads_the_log(
    journey, personas
) -> None:
    p = personas
    case = open_case(p)
    page = journey.page
    seen: list[str] = []

    walk_as(journey, p.admin, language="en", size=DESK)
    page.click(".main-nav a[href='/admin/']")
    screen(journey, "the administration's index")
    seen.append(path_of(journey))
    page.click("#content-main a[href='/admin/accounts/user/']")
    screen(journey, "the users")
    seen.append(path_of(journey))
    page.click("a.addlink[href='/admin/accounts/user/add/']")
    screen(journey, "adding a user")
    seen.append(path_of(journey))
    page.fill("#id_username", "mwanaisha_caseworker")
    page.fill("#id_first_name", "Mwanaisha")
    page.fill("#id_last_name", "Hamisi")
    page.fill("#id_email", "mwanaisha@pwani.example")
    page.select_option("#id_agency", str(p.ngo.pk))
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("input[name=_save]")
    page.wait_for_selector("#id_roles-0-role")
    created = User.objects.get(username="mwanaisha_caseworker")
    assert created.agency == p.ngo and not created.roles.exists()
    screen(journey, "the new user's page")
    seen.append(path_of(journey))

    # the caseworker's role reveals case content: it waits for a second person
    page.select_option("#id_roles-0-role", "caseworker")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist")
    assert "second person" in page.inner_text("ul.messagelist")
    screen(journey, "the change waiting for approval")
    assert not RoleAssignment.objects.filter(user=created).exists()
    waiting = AccessChangeRequest.objects.get(subject=created, state=AccessChangeState.PENDING)
    assert "caseworker" in waiting.roles_after

    # the audit log: metadata, and whether a reason was kept, never the reason
    page.goto(f"{journey.base_url}/admin/")
    page.click("#content-main a[href='/admin/audit/auditevent/']")
    screen(journey, "the audit log")
    seen.append(path_of(journey))
    page.fill("#searchbar", str(case.pk))
    page.click("#changelist-search input[type=submit]")
    page.wait_for_selector("#result_list")
    screen(journey, "the audit log searched")
    opened = AuditEvent.objects.get(record_type="cases.case", record_id=str(case.pk))
    assert opened.reason == TYPED  # kept (encrypted), so the page would show it if it could
    page.click(f"#result_list a[href*='/admin/audit/auditevent/{opened.pk}/change/']")
    page.wait_for_selector("#content-main")
    screen(journey, "one audit event")
    seen.append(path_of(journey))
    shown = page.inner_text("#content-main")
    assert "cases.case" in shown and "Reason recorded" in shown
    for word in typed_words(TYPED):
        assert word not in page.content().lower(), word

    # the administrator who asked is not the second person: the change is not offered to
    # them, and a post made by hand to approve it is refused
    page.goto(f"{journey.base_url}/accounts/access-changes/")
    screen(journey, "the asker's own queue")
    assert "mwanaisha_caseworker" not in page.inner_text("main")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    forced = page.request.post(
        f"{journey.base_url}/accounts/access-changes/{waiting.pk}/approve/",
        headers={"X-CSRFToken": token, "Referer": f"{journey.base_url}/accounts/access-changes/"},
        max_redirects=0,
    )
    assert forced.status == 404
    assert not RoleAssignment.objects.filter(user=created).exists()

    # the second person: the agency's supervisor approves, and the role takes effect
    walk_as(journey, p.supervisor, language="en", size=DESK)
    page.goto(f"{journey.base_url}/accounts/access-changes/")
    screen(journey, "the access changes to approve")
    seen.append(path_of(journey))
    assert "mwanaisha_caseworker" in page.inner_text("main")
    page.click(f"form[action='/accounts/access-changes/{waiting.pk}/approve/'] button")
    page.wait_for_selector(".messages")
    screen(journey, "the change approved")
    assert RoleAssignment.objects.filter(user=created, role="caseworker").exists()

    # the administrator's pages again, in Kiswahili on a phone
    walk_as(journey, p.admin, language="sw", size=PHONE)
    revisit(
        journey, [path for path in seen if path.startswith("/admin/")], language="sw", size=PHONE
    )
