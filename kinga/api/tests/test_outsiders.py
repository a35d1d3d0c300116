"""No token reaches a record its agency may not see, for every operation of the schema.

Records of one side (a report the 116 desk's system filed, a referral to the Salama shelter,
the shelter system's webhook subscription) are asked for, through every operation the
served schema lists, by systems of other agencies holding every scope their agencies may
hold. Each operation that names a record answers 404 (or 403 for a scope the token lacks);
each list comes back without those records. A new operation with a new kind of path
parameter fails here until it is added.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.test import Client

from kinga.api.models import Scope
from kinga.api.tests.conftest import Connected
from kinga.referrals.tests.test_referrals import World, consent_to, send

BODIES = {
    "/api/v1/reports/": {"call_id": "outsider-1", "categories": ["other"]},
    "/api/v1/referrals/{referral_id}/decline/": {"reason": "We cannot take her this week."},
    "/api/v1/referrals/{referral_id}/complete/": {"feedback": "She was seen and went home."},
    "/api/v1/webhooks/": {"event": "referral.sent", "url": "https://outsider.example/h"},
    "/api/v1/referrals-in/": {
        "reference": "SALAMA-7",
        "reason": "Outsider's own referral.",
        "services": ["counselling"],
        "categories": ["other"],
    },
}


def test_no_token_reaches_another_agencys_record_through_any_operation(
    world: World, connect: Callable[..., Connected]
) -> None:
    p = world.p
    consent_to(world, p.shelter)
    referral = send(world)
    desk = connect(p.helpline_centre, [Scope.REPORT_WRITE, Scope.REPORT_READ], name="116 desk")
    filed = desk.client().post(
        "/api/v1/reports/",
        json.dumps({"call_id": "own-1", "categories": ["trafficking"]}),
        content_type="application/json",
    )
    report_id = filed.json()["report"]["id"]
    shelter = connect(p.shelter, [Scope.REFERRAL_READ, Scope.WEBHOOK_MANAGE], name="Salama system")
    subscription = shelter.client().post(
        "/api/v1/webhooks/",
        json.dumps({"event": "referral.sent", "url": "https://salama.example/h"}),
        content_type="application/json",
    )
    subscription_id = subscription.json()["subscription"]["id"]
    # a referral the shelter's system sent in: a report only the shelter's system reads
    partner = connect(p.shelter, [Scope.REFERRAL_SEND, Scope.REPORT_READ], name="Salama records")
    sent_in = partner.client().post(
        "/api/v1/referrals-in/",
        json.dumps(
            {
                "reference": "SALAMA-7",
                "reason": "A girl came to the gate at night.",
                "services": ["rescue_shelter"],
                "categories": ["sexual_exploitation"],
            }
        ),
        content_type="application/json",
    )
    assert sent_in.status_code == 201, sent_in.content
    referral_in_id = sent_in.json()["report"]["id"]
    from kinga.accounts.models import AgencyKind

    other_desk_agency = type(p.helpline_centre).objects.create(
        name="Another helpline", kind=AgencyKind.HELPLINE, county=p.helpline_centre.county
    )
    outsiders = [
        connect(
            other_desk_agency,
            [
                Scope.REPORT_WRITE,
                Scope.REPORT_READ,
                Scope.DIRECTORY_READ,
                Scope.WEBHOOK_MANAGE,
                Scope.REFERRAL_SEND,
            ],
            name="Other desk",
            rate=6000,
        ),
        connect(
            p.hospital,
            [
                Scope.REFERRAL_READ,
                Scope.REFERRAL_WRITE,
                Scope.DIRECTORY_READ,
                Scope.WEBHOOK_MANAGE,
                Scope.CASE_READ,
                Scope.JUSTICE_READ,
                Scope.FIGURES_READ,
                Scope.REFERRAL_SEND,
                Scope.REPORT_READ,
            ],
            name="Hospital system",
            rate=6000,
        ),
    ]
    values = {
        "report_id": report_id,
        "referral_id": referral.pk,
        "subscription_id": subscription_id,
        "service_id": "00000000-0000-0000-0000-000000000000",
        "case_id": world.case.pk,
    }
    schema = Client().get("/api/v1/schema/").json()
    reached: list[str] = []
    for template, operations in schema["paths"].items():
        path = template
        for name, value in values.items():
            path = path.replace("{" + name + "}", str(value))
        assert "{" not in path, f"add the parameter of {template} to this test"
        for method in operations:
            for outsider in outsiders:
                client: Client = outsider.client()
                if method == "get":
                    response = client.get(path)
                elif method == "delete":
                    response = client.delete(path)
                else:
                    response = client.post(
                        path,
                        json.dumps(BODIES.get(template, {})),
                        content_type="application/json",
                    )
                text = response.content.decode()
                if "{" in template:
                    if template.startswith("/api/v1/directory/"):
                        continue  # the public directory: nothing of anyone's
                    if response.status_code not in (403, 404):
                        reached.append(f"{method.upper()} {path}: {response.status_code}")
                elif method == "get":
                    for needle in (
                        f'"id": {report_id},',
                        # by its reference: an id alone may be another record's id
                        f'"reference": "R-{referral_in_id:06d}"',
                        f'"id": {referral.pk},',
                        f'"code": "{world.case.code}"',
                    ):
                        if needle in text and not template.startswith("/api/v1/directory/"):
                            reached.append(f"GET {path} lists {needle}")
    assert reached == []
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert shelter.client().get("/api/v1/webhooks/").json()[0]["is_active"] is True
    # the outsiders' posts of the same reference were their own referrals, never the shelter's
    assert partner.client().get(f"/api/v1/reports/{referral_in_id}/").status_code == 200
    for outsider in outsiders:
        assert outsider.client().get(f"/api/v1/reports/{referral_in_id}/").status_code == 404
