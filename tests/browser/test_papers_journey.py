"""A social worker photographs a titre de séjour from her phone (375 px) and reads its expiry
on the household page; the régisseur opens it, the social file stays closed to him."""

from __future__ import annotations

import datetime

import pytest
from PIL import Image

from iml.rls import organisation_transaction
from papers.models import Paper

pytestmark = pytest.mark.browser


def test_a_titre_de_sejour_photographed_from_a_phone(phone_journey, world, tmp_path):
    j, page = phone_journey, phone_journey.page
    keita, today = world["keita"], world["today"]
    picture = tmp_path / "IMG_2041.jpg"
    Image.new("RGB", (1600, 1200), (40, 90, 160)).save(picture, "JPEG")
    expiry = today + datetime.timedelta(days=20)
    j.login("social_worker@alpha.example")
    j.goto(keita.get_absolute_url())
    assert "À demander au ménage" in page.inner_text("#pieces ~ *, section#pieces")
    with page.expect_navigation():
        page.click("a:has-text('Ajouter une pièce')")
    j.no_horizontal_scroll()
    # The camera or the files: both inputs take images, the first opens the camera.
    assert page.get_attribute("input[name=photo]", "capture") == "environment"
    assert "image/*" in page.get_attribute("input[name=files]", "accept")
    page.select_option("select[name=kind]", "titre_sejour")
    page.select_option("select[name=person]", label="Amina Keïta")
    page.fill("input[name=issued_on]", f"{today - datetime.timedelta(days=340):%Y-%m-%d}")
    page.fill("input[name=valid_until]", f"{expiry:%Y-%m-%d}")
    page.set_input_files("input[name=photo]", str(picture))
    j.shot("piece a ajouter")
    with page.expect_navigation():
        page.click("button:has-text('Enregistrer la pièce')")
    assert "Pièce « titre de séjour » ajoutée" in page.inner_text("main")
    panel = page.inner_text("section#pieces")
    assert "Titre de séjour — Amina Keïta" in panel
    assert f"expire le {expiry:%d/%m/%Y}" in panel
    # The thumbnail is served (through the role check) and drawn.
    # (``evaluate``, not ``wait_for_function``: the site's CSP forbids evaluating strings.)
    width = page.locator(".paper-thumb img").evaluate(
        "async img => { await img.decode(); return img.naturalWidth; }"
    )
    assert width > 0
    j.no_horizontal_scroll()
    j.shot("piece sur la fiche")
    with organisation_transaction(world["org"]):
        paper = Paper.objects.get()
        assert paper.files.get().content_type == "image/jpeg"
    assert j.console_errors == []
