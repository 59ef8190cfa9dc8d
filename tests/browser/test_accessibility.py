"""axe-core (vendored from the npm registry, tests/browser/vendor) on the main pages: no
serious or critical violation; and every page fits a phone's width without scrolling sideways.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGES = {
    "social_worker@alpha.example": [
        "/",
        "/menages/",
        "/menages/attente/",
        "{keita}",
        "/accompagnement/mes-menages/",
        "/accompagnement/menages/{keita_id}/echange/",
        "/accompagnement/menages/{keita_id}/historique/",
        "/accompagnement/partenaires/",
        "/logements/",
        "/location/contrats/",
        "{contract}",
        "/alertes/",
        "/accompagnement/agenda/",
        "/accompagnement/agenda/?vue=mois",
        "/location/menages/{keita_id}/sortie/",
        "/menages/{keita_id}/ressources/ajouter/",
        "/location/places-libres/",
        "/menages/?tri=-nom",
        "/pieces/menages/{keita_id}/ajouter/",
        "/pieces/a-renouveler/",
        "/relogement/",
        "/relogement/menages/{keita_id}/demande/",
        "/relogement/menages/{keita_id}/pret-a-sortir/",
    ],
    "regisseur@alpha.example": [
        "/",
        "/location/contrats/?dette=1",
        "/location/contrats/?etat=tous&debiteur=1",
        "/location/encaissement/",
        "/location/encaissement/?contrat={contract_id}",
        "/location/journal-de-caisse/",
        "/location/caf/",
        "/location/bailleurs/",
        "/location/incidents/",
        "/banque/",
        "/banque/comptes/",
        "/banque/releves/importer/",
        "/banque/rapprochement/",
        "/banque/en-attente/",
        "/banque/caf/",
        "/banque/mandats/",
        "/banque/prelevements/",
    ],
}


def urls(world, email):
    values = {
        "keita": world["keita"].get_absolute_url(),
        "keita_id": world["keita"].public_id,
        "contract": world["contract"].get_absolute_url(),
        "contract_id": world["contract"].public_id,
    }
    return [path.format(**values) for path in PAGES[email]]


def test_login_page_is_accessible(audit_journey):
    journey = audit_journey
    journey.goto("/connexion/")
    assert journey.accessibility_violations() == []


@pytest.mark.parametrize("email", list(PAGES))
def test_main_pages_have_no_serious_accessibility_violation(audit_journey, world, email):
    journey = audit_journey
    journey.login(email)
    problems = {}
    for url in urls(world, email):
        assert journey.goto(url).status == 200, url
        violations = journey.accessibility_violations()
        if violations:
            problems[url] = violations
    assert problems == {}


@pytest.mark.parametrize("email", list(PAGES))
def test_main_pages_fit_a_phone(phone_journey, world, email):
    phone_journey.login(email)
    too_wide = {}
    for url in urls(world, email):
        phone_journey.goto(url)
        width = phone_journey.page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            too_wide[url] = width
            phone_journey.shot(url)
    assert too_wide == {}


@pytest.mark.real_two_factor
@pytest.mark.parametrize(
    ("role", "paths"),
    [
        ("head", ["/rapport/", "/alertes/", "/location/plans/", "/dispositifs/", "/pieces/types/"]),
        ("admin", ["/classeur/", "/equipe/", "/dispositifs/", "/organisation/parametres/"]),
    ],
)
def test_head_and_admin_pages_have_no_serious_violation(audit_journey, world, role, paths):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from iml.models import Role
    from tests.factories import MembershipFactory

    journey = audit_journey
    if role == "admin":
        user = MembershipFactory(organisation=world["org"], role=Role.ADMIN,
                                 user__email="admin@alpha.example").user  # fmt: skip
    else:
        user = world["members"][Role.HEAD].user
    device = TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)
    journey.login(user.email)
    journey.page.fill("input[name=token]", f"{totp(device.bin_key):06d}")
    with journey.page.expect_navigation():
        journey.page.click("main button[type=submit]")
    problems = {}
    for path in paths:
        assert journey.goto(path).status == 200, path
        violations = journey.accessibility_violations()
        if violations:
            problems[path] = violations
    assert problems == {}


@pytest.mark.real_two_factor
def test_report_and_workbook_pages_fit_a_phone(phone_journey, world):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from iml.models import Role
    from tests.factories import MembershipFactory

    admin = MembershipFactory(organisation=world["org"], role=Role.ADMIN,
                              user__email="admin@alpha.example").user  # fmt: skip
    too_wide = {}
    for user, paths in (
        (world["members"][Role.HEAD].user, ["/rapport/", "/alertes/", "/location/plans/"]),
        (admin, ["/classeur/", "/equipe/"]),
    ):
        device = TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)
        phone_journey.page.context.clear_cookies()
        phone_journey.login(user.email)
        phone_journey.page.fill("input[name=token]", f"{totp(device.bin_key):06d}")
        with phone_journey.page.expect_navigation():
            phone_journey.page.click("main button[type=submit]")
        for path in paths:
            phone_journey.goto(path)
            width = phone_journey.page.evaluate("document.documentElement.scrollWidth")
            if width > 375:
                too_wide[path] = width
                phone_journey.shot(path)
    assert too_wide == {}
