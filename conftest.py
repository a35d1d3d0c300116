"""Shared test fixtures: the personas every access test walks, and signed-in clients.

Personas (one agency each unless said):
- caseworker (Pwani Child Rights NGO), caseworker_other (Tumaini Girls NGO, the outsider),
- counsellor (Pwani NGO), supervisor (Pwani NGO), investigator (Mombasa AHTCPU),
- prosecutor (ODPP Mombasa), service_provider (Salama shelter), helpline (116),
- analyst, trainer, admin (Kinga programme office), children_officer (Mombasa children's
  services), anonymous (no user).
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from kinga.accounts.models import Agency, AgencyKind, Role, User
from kinga.accounts.services import authenticator_ensure, user_create
from kinga.places.models import County

PASSWORD = "correct horse battery staple 42"


@dataclass
class Personas:
    ngo: Agency
    other_ngo: Agency
    police: Agency
    prosecution: Agency
    childrens_services: Agency
    shelter: Agency
    hospital: Agency
    helpline_centre: Agency
    programme: Agency
    caseworker: User
    caseworker_other: User
    counsellor: User
    supervisor: User
    investigator: User
    prosecutor: User
    service_provider: User
    helpline: User
    analyst: User
    trainer: User
    admin: User
    children_officer: User
    data_protection_officer: User

    def all_users(self) -> list[User]:
        return [
            self.caseworker,
            self.caseworker_other,
            self.counsellor,
            self.supervisor,
            self.investigator,
            self.prosecutor,
            self.service_provider,
            self.helpline,
            self.analyst,
            self.trainer,
            self.admin,
            self.children_officer,
            self.data_protection_officer,
        ]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    # Argon2 is the production hasher (checked in accounts tests); tests need speed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def _audit_checkpoint_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit-checkpoints")


@pytest.fixture(autouse=True)
def _audit_checkpoint_dir(settings: Any, _audit_checkpoint_root: Path) -> None:
    # Each test's own checkpoint file, made only when a test writes one: the default under
    # var/ belongs to the developer's database, not to the test database.
    settings.KINGA_AUDIT_CHECKPOINT_DIR = str(_audit_checkpoint_root / uuid.uuid4().hex)


def gazetteer_ensure() -> None:
    """Reload the gazetteer if a transactional test's flush emptied it (a migration loads it)."""
    if County.objects.exists():
        return
    from django.apps import apps
    from django.db import connection

    loader = importlib.import_module("kinga.places.migrations.0002_load_gazetteer")
    with connection.schema_editor() as editor:
        loader.load_gazetteer(apps, editor)


def make_agency(name: str, kind: str, county: str = "Mombasa") -> Agency:
    return Agency.objects.create(name=name, kind=kind, county=County.objects.get(name=county))


def make_user(username: str, agency: Agency, *roles: str) -> User:
    return user_create(
        username=username,
        password=PASSWORD,
        agency=agency,
        roles=set(roles),
        actor=None,
        first_name=username.split("_")[0].title(),
    )


@pytest.fixture
def personas(db: None) -> Personas:
    gazetteer_ensure()
    ngo = make_agency("Pwani Child Rights Network", AgencyKind.NGO)
    other_ngo = make_agency("Tumaini Girls Initiative", AgencyKind.NGO, "Kilifi")
    police = make_agency("Mombasa AHTCPU", AgencyKind.POLICE_UNIT)
    prosecution = make_agency("ODPP Mombasa", AgencyKind.PROSECUTION_OFFICE)
    childrens = make_agency("Children's Services Mombasa", AgencyKind.CHILDRENS_SERVICES)
    shelter = make_agency("Salama Rescue Home", AgencyKind.SHELTER, "Kwale")
    hospital = make_agency("Coast General Hospital GBV Centre", AgencyKind.HOSPITAL)
    helpline = make_agency("Child Helpline 116 Coast", AgencyKind.HELPLINE)
    programme = make_agency("Kinga Programme Office", AgencyKind.NGO)
    return Personas(
        ngo=ngo,
        other_ngo=other_ngo,
        police=police,
        prosecution=prosecution,
        childrens_services=childrens,
        shelter=shelter,
        hospital=hospital,
        helpline_centre=helpline,
        programme=programme,
        caseworker=make_user("amina_caseworker", ngo, Role.CASEWORKER),
        caseworker_other=make_user("baraka_caseworker", other_ngo, Role.CASEWORKER),
        counsellor=make_user("neema_counsellor", ngo, Role.COUNSELLOR),
        supervisor=make_user("juma_supervisor", ngo, Role.SUPERVISOR),
        investigator=make_user("omari_investigator", police, Role.INVESTIGATOR),
        prosecutor=make_user("halima_prosecutor", prosecution, Role.PROSECUTOR),
        service_provider=make_user("rehema_shelter", shelter, Role.SERVICE_PROVIDER),
        helpline=make_user("kazungu_helpline", helpline, Role.HELPLINE),
        analyst=make_user("wanjiku_analyst", programme, Role.ANALYST),
        trainer=make_user("mwakio_trainer", programme, Role.TRAINER),
        admin=make_user("admin_kinga", programme, Role.ADMIN),
        children_officer=make_user("zuhura_childrenofficer", childrens, Role.CASEWORKER),
        data_protection_officer=make_user(
            "faraji_dpo", programme, Role.DATA_PROTECTION_OFFICER
        ),
    )


def verify_session(client: Client, user: User) -> None:
    """Sign the user in and mark the session as having passed two-factor."""
    device = authenticator_ensure(user=user)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()


@pytest.fixture
def client_for(db: None) -> Callable[[User | None], Client]:
    """Return a factory of test clients signed in (two-factor passed) as the given user."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            verify_session(client, user)
        return client

    return make


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _clicks_wait_for_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a click that navigates return only when the new page has loaded.

    Playwright's click waits for a navigation it starts to commit, not to load: right after
    it, the new document can still be empty (`page.content()` was '' and a form's
    `.has-error` count 0 on a fast CI machine), so an assertion that reads the page raced the
    browser. Waiting for the load state after every click closes that race for every test: a
    click that navigated waits for the new document's load; one that did not returns at once
    (the current document has long loaded).
    """
    from playwright.sync_api import Locator, Page

    page_click = Page.click
    locator_click = Locator.click

    def click_page(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        page_click(self, *args, **kwargs)
        if not self.is_closed():
            self.wait_for_load_state()

    def click_locator(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        locator_click(self, *args, **kwargs)
        if not self.page.is_closed():
            self.page.wait_for_load_state()

    monkeypatch.setattr(Page, "click", click_page)
    monkeypatch.setattr(Locator, "click", click_locator)


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Yield a Playwright page in Debian's headless Chromium (no browser download)."""
    import os

    from playwright.sync_api import sync_playwright

    _clicks_wait_for_the_page(monkeypatch)

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            _close_connections_opened_with_playwright()


def _close_connections_opened_with_playwright() -> None:
    """Close the database connections the test opened while Playwright ran.

    Django keeps connections per context variable, and Playwright's sync API switches
    greenlets (each with its own context): a connection opened while it runs (here a
    fixture's gazetteer check, seen in pg_stat_activity) is not the one Django closes before
    dropping the test database, so on PostgreSQL it stayed open to the end ("database
    test_kinga is being accessed by other users"). One inside a transaction (a
    non-transactional test's) is left to its rollback.
    """
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def totp_now(user: User) -> str:
    """Return the current TOTP code of the user's confirmed device, making one if needed."""
    from django_otp.oath import totp

    device = authenticator_ensure(user=user)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def browser_sign_in(page, base_url: str, user: User, *, second_step: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the real pages: the password, then the two-factor code.

    The one sign-in of every browser test. It enrols the user's authenticator first, so the
    second step asks for its code. With `second_step=False` it stops at the two-factor page
    (to look at it); `browser_enter_code` then finishes.
    """
    totp_now(user)  # enrol a device first, so sign-in asks for its code
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    # `main`: the header's language switch is a form with a submit button too
    page.click("main button[type=submit]")
    if second_step:
        browser_enter_code(page, user)


def browser_enter_code(page, user: User) -> None:  # type: ignore[no-untyped-def]
    """Pass the two-factor page with the current code, and wait for the signed-in menu."""
    page.fill("#id_code", totp_now(user))
    page.click("main button[type=submit]")
    page.wait_for_selector(".main-nav")
