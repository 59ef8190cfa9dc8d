"""Journey 4: an admin uploads a workbook with errors, sees each error, uploads the corrected
workbook, confirms, and the households are there."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from households.models import Household
from iml.models import Role
from iml.rls import organisation_transaction
from tests.factories import MembershipFactory
from tests.workbook.builders import base_sheets, set_cell, write_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.real_two_factor]


def test_admin_imports_a_corrected_workbook(journey, world, tmp_path):
    j, page = journey, journey.page
    admin = MembershipFactory(organisation=world["org"], role=Role.ADMIN,
                              user__email="admin@alpha.example").user  # fmt: skip
    device = TOTPDevice.objects.create(user=admin, name="Téléphone", confirmed=True)
    sheets = base_sheets()
    wrong = base_sheets()
    set_cell(wrong, "menages", 2, "entry_date", "31/02/2023")
    set_cell(wrong, "personnes", 2, "nationality", "ZZ")
    bad, good = (
        write_xlsx(tmp_path / "avec-erreurs.xlsx", wrong),
        write_xlsx(tmp_path / "corrige.xlsx", sheets),
    )

    j.login(admin.email)
    page.fill("input[name=token]", f"{totp(device.bin_key):06d}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    j.goto("/classeur/")
    page.set_input_files("input[name=file]", bad)
    with page.expect_navigation():
        page.click("button:has-text('Analyser le fichier')")
    page.wait_for_selector("#erreurs", timeout=30_000)
    errors = page.inner_text("main")
    assert "menages:2: entry_date" in errors and "personnes:2: nationality" in errors
    j.shot("erreurs")
    with organisation_transaction(world["org"]):
        assert not Household.objects.filter(reference="M1").exists()

    j.goto("/classeur/")
    page.set_input_files("input[name=file]", good)
    with page.expect_navigation():
        page.click("button:has-text('Analyser le fichier')")
    page.wait_for_selector("button:has-text('Importer')", timeout=30_000)
    j.shot("apercu")
    page.once("dialog", lambda dialog: dialog.accept())  # "Importer ce classeur … ?"
    page.click("button:has-text('Importer')")
    page.wait_for_selector("h2:has-text('Lignes importées')", timeout=60_000)
    j.shot("importe")
    with organisation_transaction(world["org"]):
        assert set(Household.objects.filter(reference__in=["M1", "M2"]).values_list(
            "reference", flat=True)) == {"M1", "M2"}  # fmt: skip
