"""Browser journeys in a real headless Chromium (Debian's `chromium`, driven by Playwright),
against the app served on loopback by pytest-django's live server, on the real PostgreSQL.

Screenshots of each step are saved under `.var/test-artifacts/<test>/` (CI keeps them). The
tests are skipped, saying why, on a machine without Chromium: `.ci/run` installs it.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

from iml.codes import PersonRole
from iml.models import Role
from iml.rls import organisation_transaction
from tenancy.calls import issue_calls_to_date
from tests.factories import (
    TEST_PASSWORD,
    DispositifFactory,
    MembershipFactory,
    OrganisationFactory,
)
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory, RoomFactory
from tests.tenancy.factories import SubleaseContractFactory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(settings.BASE_DIR) / ".var" / "test-artifacts"
AXE = Path(__file__).parent / "vendor" / "axe-4.10.3.min.js"
PHONE = {"width": 375, "height": 812}

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="Chromium absent (apt-get install chromium; .ci/run does)")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


class Journey:
    """A page of the browser, with the step screenshots and the checks every page gets."""

    def __init__(self, page, base_url: str, name: str):
        self.page = page
        self.base_url = base_url
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.step = 0
        self.console_errors: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.console_errors.append(message.text) if message.type == "error" else None
            ),
        )

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def shot(self, label: str) -> None:
        self.step += 1
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.page.screenshot(path=self.folder / f"{self.step:02d}-{name}.png", full_page=True)

    def login(self, email: str, password: str = TEST_PASSWORD) -> None:
        self.goto("/connexion/")
        self.page.fill("input[name=username]", email)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")

    def no_horizontal_scroll(self) -> None:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        viewport = self.page.viewport_size["width"]
        assert width <= viewport, f"{self.page.url}: {width}px wide on a {viewport}px screen"

    def accessibility_violations(self) -> list[str]:
        """axe-core's serious and critical violations on the current page."""
        self.page.add_script_tag(content=AXE.read_text())
        result = self.page.evaluate("async () => await axe.run(document)")
        return [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]


@pytest.fixture
def journey(browser, live_server, request):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Journey(page, live_server.url, request.node.name)
    context.close()


@pytest.fixture
def phone_journey(browser, live_server, request):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris",
                                  is_mobile=True, has_touch=True)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Journey(page, live_server.url, request.node.name)
    context.close()


@pytest.fixture
def world(transactional_db):
    """Organisation A: a shared flat, a household living in its first room for three months
    (rent calls issued), another moving into the second room in ten days, one waiting."""
    today = timezone.localdate()
    org = OrganisationFactory(name="Association Alpha", slug="alpha")
    members = {
        role: MembershipFactory(
            organisation=org,
            role=role,
            user__email=f"{role}@alpha.example",
            user__first_name=role.label.split()[0].capitalize(),
        )
        for role in (Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD)
    }
    dispositif = DispositifFactory(organisation=org, code="IML-A", name="Dispositif Alpha")
    flat = HousingUnitFactory(
        organisation=org, dispositif=dispositif, shared=True, reference="LOG-1",
        captation_date=today - relativedelta(years=2),
    )  # fmt: skip
    first, second = (RoomFactory(organisation=org, unit=flat, label=f"Chambre {n}")
                     for n in (1, 2))  # fmt: skip
    entry = today - relativedelta(months=3)
    keita = HouseholdFactory(organisation=org, dispositif=dispositif, reference="M-KEITA",
                             orientation_date=entry - relativedelta(months=1), entry_date=entry,
                             referent=members[Role.SOCIAL_WORKER].user)  # fmt: skip
    PersonFactory(organisation=org, household=keita, first_name="Amina", last_name="Keïta",
                  role=PersonRole.REFERENT)  # fmt: skip
    PersonFactory(organisation=org, household=keita, first_name="Issa", last_name="Keïta",
                  role=PersonRole.ENFANT, birth_date=datetime.date(2017, 3, 2))  # fmt: skip
    contract = SubleaseContractFactory(organisation=org, household=keita, unit=flat, room=first,
                                       start_date=entry, rent=Decimal("400"),
                                       charges=Decimal("50"),
                                       expected_housing_benefit=Decimal("250"))  # fmt: skip
    with organisation_transaction(org):
        issue_calls_to_date(contract)
    # A household that will move into the second room in ten days.
    SubleaseContractFactory(organisation=org, unit=flat, room=second,
                            start_date=today + datetime.timedelta(days=10),
                            household__reference="M-FUTUR")  # fmt: skip
    waiting = HouseholdFactory(organisation=org, dispositif=dispositif, reference="M-ATTENTE",
                               orientation_date=today - relativedelta(months=2))  # fmt: skip
    PersonFactory(organisation=org, household=waiting, first_name="Yonas", last_name="Tesfaye")
    return {"org": org, "members": members, "keita": keita, "contract": contract,
            "waiting": waiting, "today": today}  # fmt: skip


@pytest.fixture
def audit_journey(browser, live_server, request):
    """A page that lets the test inject axe-core: the app's Content-Security-Policy forbids
    inline scripts (as it should), so this context alone bypasses it."""
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Journey(page, live_server.url, request.node.name)
    context.close()
