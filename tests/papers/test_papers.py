"""Papers: added from a phone (photos and PDFs checked from their content, HEIC converted,
metadata dropped), read according to the role, removed with their files, watched before they
expire, in the RGPD archive and gone with the retention purge."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.urls import reverse
from freezegun import freeze_time
from PIL import Image

from alerts.job import sync_alerts
from alerts.models import Alert, AlertKind, AlertStatus
from iml.codes import PaperKind
from iml.models import AccessAction, AccessLog, Role
from papers.models import Paper, PaperFile
from papers.services import Owner
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.housing.factories import HousingUnitFactory
from tests.papers.helpers import add_paper, fake, pdf, photo

D = datetime.date
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def _today():
    with freeze_time("2025-11-15 10:00"):
        yield


@pytest.fixture
def household(org_a, dispositif_a, social_worker_a):
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="H-1",
                                 present=True, referent=social_worker_a.user)  # fmt: skip
    PersonFactory(organisation=org_a, household=household, first_name="Amina",
                  last_name="Diallo")  # fmt: skip
    return household


def _stored(name: str) -> bool:
    return storages["papers"].exists(name)


def _post(client, household, **data):
    url = reverse("papers:household_add", args=[household.public_id])
    form = {"kind": PaperKind.TITRE_SEJOUR, "issued_on": "2025-06-01",
            "valid_until": "2025-12-01", **data}  # fmt: skip
    return client.post(url, form)


def test_a_social_worker_photographs_a_titre_de_sejour_in_two_pages(
    client, household, social_worker_a
):
    login(client, social_worker_a)
    heic = photo("IMG_0001.HEIC", fmt="HEIF", size=(1200, 900))
    response = _post(client, household, photo=[photo("amina-diallo.jpg", gps=True), heic])
    assert response.status_code == 302
    paper = Paper.objects.get()
    assert (paper.kind, paper.valid_until, paper.created_by) == (
        PaperKind.TITRE_SEJOUR,
        D(2025, 12, 1),
        social_worker_a.user,
    )
    pages = list(paper.files.order_by("position"))
    assert [page.position for page in pages] == [1, 2]
    for page in pages:
        # Kept as JPEG (the HEIC converted), without the camera's metadata, with a thumbnail,
        # under a name that says nothing of the person.
        assert page.content_type == "image/jpeg"
        with page.file.open("rb") as content:
            image = Image.open(io.BytesIO(content.read()))
            assert image.format == "JPEG" and not image.getexif()
        assert page.thumbnail and _stored(page.thumbnail.name)
        assert page.file.name.startswith(f"{household.organisation.public_id}/")
        assert "amina" not in page.file.name.lower() and "img" not in page.file.name.lower()
    # The household page: the paper, its state, what the dispositif still asks for.
    page = client.get(household.get_absolute_url()).content.decode()
    assert "Titre de séjour" in page and "expire le 01/12/2025" in page
    assert "À demander au ménage :" in page and "RIB" in page
    assert "titre de séjour," not in page.split("À demander au ménage :")[1].split("</p>")[0]


def test_a_file_that_is_not_a_photo_nor_a_pdf_is_refused_and_nothing_kept(
    client, household, social_worker_a
):
    login(client, social_worker_a)
    before = set(_all_files())
    response = _post(client, household, files=[pdf(), fake("titre.jpg")])
    text = response.content.decode()
    assert response.status_code == 200
    assert "« titre.jpg »" in text and "seules les photos" in text and "Rien n’a été" in text
    assert not Paper.objects.exists() and not PaperFile.objects.exists()
    assert set(_all_files()) == before
    assert "Ajoutez au moins un fichier" in _post(client, household).content.decode()


def _all_files() -> list[str]:
    storage = storages["papers"]
    found = []
    directories, files = storage.listdir("") if storage.exists("") else ([], [])
    for directory in directories:
        found += [f"{directory}/{name}" for name in storage.listdir(directory)[1]]
    return found + files


def test_a_pdf_is_kept_as_it_is(client, household, social_worker_a):
    login(client, social_worker_a)
    _post(client, household, kind=PaperKind.RIB, valid_until="", files=[pdf()])
    page = PaperFile.objects.get()
    assert page.content_type == "application/pdf" and not page.thumbnail
    response = client.get(reverse("papers:download", args=[page.public_id]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert "rib-2025-06-01-p1.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


def test_each_role_reads_its_papers_and_each_download_is_logged(
    client, household, org_a, social_worker_a, members_a
):
    identity = add_paper(Owner(household=household), PaperKind.TITRE_SEJOUR,
                         social_worker_a.user)  # fmt: skip
    social = add_paper(Owner(household=household), PaperKind.NUR, social_worker_a.user,
                       note="Demande déposée à Amiens")  # fmt: skip
    identity_page, social_page = identity.files.get(), social.files.get()
    regisseur = members_a[Role.REGISSEUR]
    login(client, regisseur)
    assert client.get(reverse("papers:download", args=[identity_page.public_id])).status_code == 200
    assert client.get(reverse("papers:download", args=[social_page.public_id])).status_code == 403
    assert client.get(reverse("papers:thumbnail", args=[social_page.public_id])).status_code == 403
    page = client.get(household.get_absolute_url()).content.decode()
    assert "Titre de séjour" in page and "Demande déposée" not in page
    for role in (Role.SOCIAL_WORKER, Role.HEAD):
        login(client, members_a[role])
        assert client.get(reverse("papers:download", args=[social_page.public_id])).status_code \
            == 200  # fmt: skip
    # The administrator sees no household file.
    login(client, members_a[Role.ADMIN])
    assert client.get(reverse("papers:download", args=[identity_page.public_id])).status_code \
        == 403  # fmt: skip
    downloads = AccessLog.objects.filter(action=AccessAction.DOWNLOAD, object_type="paper")
    assert downloads.count() == 3
    assert set(downloads.values_list("household_id", flat=True)) == {household.public_id}


def test_another_organisation_gets_a_404(client, household, social_worker_a, org_b):
    paper = add_paper(Owner(household=household), PaperKind.RIB, social_worker_a.user)
    stranger = MembershipFactory(organisation=org_b, role=Role.HEAD)
    login(client, stranger)
    page = paper.files.get()
    for url in (reverse("papers:download", args=[page.public_id]),
                reverse("papers:thumbnail", args=[page.public_id]),
                reverse("papers:household_add", args=[household.public_id])):  # fmt: skip
        assert client.get(url).status_code == 404
    assert client.post(reverse("papers:delete", args=[paper.public_id])).status_code == 404
    assert Paper.objects.filter(pk=paper.pk).exists()


def test_the_author_or_a_head_deletes_a_paper_and_its_files(
    client, household, org_a, social_worker_a, head_a, django_capture_on_commit_callbacks
):
    paper = add_paper(Owner(household=household), PaperKind.RIB, social_worker_a.user)
    page = paper.files.get()
    names = [page.file.name, page.thumbnail.name]
    url = reverse("papers:delete", args=[paper.public_id])
    colleague = MembershipFactory(organisation=org_a, role=Role.SOCIAL_WORKER)
    assert login(client, colleague).post(url).status_code == 403
    login(client, social_worker_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert not Paper.objects.exists()
    assert not any(_stored(name) for name in names)


def test_a_paper_must_belong_to_its_household(household, org_a, dispositif_a, social_worker_a):
    other = HouseholdFactory(organisation=org_a, dispositif=dispositif_a)
    stranger = PersonFactory(organisation=org_a, household=other)
    with pytest.raises(ValidationError):
        add_paper(Owner(household=household, person=stranger), PaperKind.IDENTITE,
                  social_worker_a.user)  # fmt: skip
    with pytest.raises(ValidationError, match="future"):
        add_paper(Owner(household=household), PaperKind.RIB, social_worker_a.user,
                  issued_on=D(2025, 12, 1))  # fmt: skip


def test_an_expiring_titre_de_sejour_raises_an_alert_until_it_is_renewed(
    household, org_a, social_worker_a
):
    add_paper(Owner(household=household), PaperKind.TITRE_SEJOUR, social_worker_a.user,
              valid_until=D(2025, 12, 31))  # fmt: skip
    # 30 days ahead by default: nothing on 30 November, a warning on 1 December.
    sync_alerts(org_a, today=D(2025, 11, 30))
    assert not Alert.objects.filter(kind=AlertKind.PAPER).exists()
    sync_alerts(org_a, today=D(2025, 12, 1))
    alert = Alert.objects.get(kind=AlertKind.PAPER)
    assert (alert.level, alert.due_date, alert.assignee) == (
        "warning",
        D(2025, 12, 31),
        social_worker_a.user,
    )
    assert alert.title == (
        "Titre de séjour : expire le 31/12/2025 : sans renouvellement transmis, la CAF "
        "suspend l’aide au logement"
    )
    sync_alerts(org_a, today=D(2026, 1, 2))
    alert.refresh_from_db()
    assert alert.level == "overdue"
    # The renewed titre arrives: the alert is resolved.
    with freeze_time("2026-01-05"):
        add_paper(Owner(household=household), PaperKind.TITRE_SEJOUR, social_worker_a.user,
                  issued_on=D(2026, 1, 5), valid_until=D(2027, 1, 4))  # fmt: skip
    sync_alerts(org_a, today=D(2026, 1, 5))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


@pytest.mark.parametrize("day", [D(2025, 1, 1), D(2024, 2, 29), D(2024, 12, 31)])
def test_the_expiry_warning_follows_the_dispositif(household, org_a, social_worker_a, day):
    dispositif = household.dispositif
    dispositif.alert_paper_days = 10
    dispositif.save()
    with freeze_time(day):
        add_paper(Owner(household=household), PaperKind.RECEPISSE, social_worker_a.user,
                  issued_on=day, valid_until=day + datetime.timedelta(days=20))  # fmt: skip
    sync_alerts(org_a, today=day + datetime.timedelta(days=9))
    assert not Alert.objects.filter(kind=AlertKind.PAPER).exists()
    sync_alerts(org_a, today=day + datetime.timedelta(days=10))
    assert Alert.objects.get(kind=AlertKind.PAPER).level == "warning"


def test_a_dpe_of_class_g_flags_the_home(client, org_a, dispositif_a, members_a):
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, energy_class="D")
    login(client, members_a[Role.REGISSEUR])
    url = reverse("papers:unit_add", args=[unit.public_id])
    response = client.post(url, {"kind": PaperKind.DPE, "issued_on": "2025-03-01",
                                 "energy_class": "G", "files": [pdf()]})  # fmt: skip
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.energy_class == "G"
    page = client.get(reverse("housing:unit_detail", args=[unit.public_id])).content.decode()
    assert "Logement classé G au DPE" in page and "01/01/2025" in page
    # A titre de séjour does not belong to a home.
    refused = client.post(url, {"kind": PaperKind.TITRE_SEJOUR, "issued_on": "2025-03-01",
                                "files": [pdf()]})  # fmt: skip
    assert refused.status_code == 200


def test_the_rgpd_archive_holds_the_files(client, household, head_a, social_worker_a):
    paper = add_paper(Owner(household=household), PaperKind.RIB, social_worker_a.user,
                      uploads=[pdf()])  # fmt: skip
    login(client, head_a)
    response = client.get(reverse("privacy:household_export_zip", args=[household.public_id]))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert "donnees.json" in names and "donnees.pdf" in names
    name = f"pieces/2025-01-10-rib-{paper.public_id}-p1.pdf"
    assert name in names and archive.read(name).startswith(b"%PDF-")
    assert name in archive.read("donnees.json").decode()


def test_the_retention_purge_removes_the_papers_and_their_files(
    household, social_worker_a, django_capture_on_commit_callbacks
):
    from privacy.retention import anonymise

    paper = add_paper(Owner(household=household), PaperKind.TITRE_SEJOUR, social_worker_a.user)
    page = paper.files.get()
    names = [page.file.name, page.thumbnail.name]
    assert all(_stored(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        anonymise(household)
    assert not Paper.objects.exists() and not PaperFile.objects.exists()
    assert not any(_stored(name) for name in names)


def test_letting_a_home_the_climate_law_forbids_needs_a_confirmation(
    client, org_a, dispositif_a, household, social_worker_a
):
    from households.models import HouseholdStatus

    waiting = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="H-2",
                               orientation_date=D(2025, 10, 1))  # fmt: skip
    PersonFactory(organisation=org_a, household=waiting)
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, energy_class="G",
                              captation_date=D(2024, 1, 1))  # fmt: skip
    login(client, social_worker_a)
    url = reverse("tenancy:household_admit", args=[waiting.public_id])
    page = client.get(url).content.decode()
    assert "DPE G : location interdite" in page
    form = {"entry_date": "2025-11-15", "space": str(unit.public_id), "rent": "400",
            "charges": "0", "deposit": "0", "expected_housing_benefit": "0"}  # fmt: skip
    refused = client.post(url, form).content.decode()
    assert "Logement classé G au DPE" in refused and "Cochez la confirmation" in refused
    waiting.refresh_from_db()
    assert waiting.status == HouseholdStatus.ORIENTED
    assert client.post(url, {**form, "energy_confirmed": "on"}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == HouseholdStatus.PRESENT


def test_a_generated_contract_is_filed_in_one_click_and_only_once(
    client, org_a, dispositif_a, household, members_a
):
    from tests.tenancy.factories import SubleaseContractFactory

    contract = SubleaseContractFactory(organisation=org_a, household=household,
                                       start_date=D(2025, 3, 1))  # fmt: skip
    login(client, members_a[Role.REGISSEUR])
    url = reverse("papers:file_contract", args=[contract.public_id])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    paper = Paper.objects.get()
    assert (paper.kind, paper.contract, paper.household, paper.issued_on) == (
        PaperKind.SOUS_LOCATION,
        contract,
        household,
        D(2025, 3, 1),
    )
    with paper.files.get().file.open("rb") as content:
        assert content.read(5) == b"%PDF-"
    again = client.post(url, follow=True).content.decode()
    assert "était déjà classé" in again
    assert Paper.objects.count() == 1


def test_an_organisation_adds_its_own_kind_of_paper(client, household, head_a, members_a):
    login(client, head_a)
    url = reverse("papers:types")
    page = client.get(url).content.decode()
    assert "Aucun type propre" in page
    response = client.post(url, {"label": "Attestation Pôle santé", "audience": "identite",
                                 "watched": "on"})  # fmt: skip
    assert response.status_code == 302
    refused = client.post(url, {"label": "RIB", "audience": "identite"}).content.decode()
    assert "types habituels" in refused
    assert login(client, members_a[Role.SOCIAL_WORKER]).get(url).status_code == 403
    # The new kind is offered when adding a paper, and read by the régisseur (« identité »).
    form = client.get(reverse("papers:household_add", args=[household.public_id]))
    assert "Attestation Pôle santé" in form.content.decode()
    from papers.models import PaperType

    kind = PaperType.objects.get()
    client.post(reverse("papers:household_add", args=[household.public_id]), {
        "kind": f"type-{kind.public_id}", "issued_on": "2025-06-01",
        "valid_until": "2025-12-01", "files": [pdf()]})  # fmt: skip
    paper = Paper.objects.get()
    assert (paper.kind, paper.custom_type, paper.label) == ("autre", kind, "Attestation Pôle santé")
    assert paper.watched
    login(client, members_a[Role.REGISSEUR])
    download = reverse("papers:download", args=[paper.files.get().public_id])
    assert client.get(download).status_code == 200


def test_the_dashboard_counts_the_papers_to_renew(client, household, social_worker_a):
    add_paper(Owner(household=household), PaperKind.RECEPISSE, social_worker_a.user,
              valid_until=D(2025, 11, 20))  # fmt: skip
    add_paper(Owner(household=household), PaperKind.RIB, social_worker_a.user,
              valid_until=D(2025, 11, 20))  # not watched  # fmt: skip
    login(client, social_worker_a)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Pièces à renouveler" in page
    listed = client.get(reverse("papers:expiring")).content.decode()
    assert "Récépissé" in listed and "expire le 20/11/2025" in listed and "RIB" not in listed


def test_a_main_lease_that_ends_raises_an_alert_about_the_home(client, org_a, dispositif_a,
                                                               members_a):  # fmt: skip
    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, reference="LOG-9",
                              captation_date=D(2024, 1, 1))  # fmt: skip
    regisseur = members_a[Role.REGISSEUR]
    add_paper(Owner(unit=unit), PaperKind.BAIL, regisseur.user, valid_until=D(2025, 12, 10),
              uploads=[pdf()])  # fmt: skip
    sync_alerts(org_a, today=D(2025, 11, 15))
    alert = Alert.objects.get(kind=AlertKind.HOME_PAPER)
    assert (alert.household, alert.unit, alert.assignee_role) == (None, unit, Role.REGISSEUR)
    assert alert.title == "Bail principal : expire le 10/12/2025 : fin du bail principal"
    login(client, regisseur)
    listed = client.get(reverse("alert_list")).content.decode()
    assert "logement LOG-9" in listed and "Bail principal : expire le 10/12/2025" in listed
    # A home given back to its landlord is no longer watched.
    unit.return_date, unit.return_reason = D(2025, 11, 30), "fin_convention"
    unit.save()
    sync_alerts(org_a, today=D(2025, 12, 1))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_files_no_paper_names_are_swept_after_a_day(household, social_worker_a, org_a):
    from django.core.files.base import ContentFile

    from papers.tasks import sweep_orphans

    paper = add_paper(Owner(household=household), PaperKind.RIB, social_worker_a.user)
    kept = paper.files.get().file.name
    storage = storages["papers"]
    orphan = storage.save(f"{org_a.public_id}/orphelin.jpg", ContentFile(b"x"))
    written = storage.get_modified_time(orphan)  # the real clock's, not the frozen one
    # Too recent: an upload may be running.
    assert sweep_orphans(now=written + datetime.timedelta(hours=1)) == 0
    assert sweep_orphans(now=written + datetime.timedelta(days=2)) == 1
    assert not storage.exists(orphan) and storage.exists(kept)


def test_the_checklist_is_the_dispositif_s(client, household, members_a, head_a):
    from tests.iml.test_dispositifs import VALID

    dispositif = household.dispositif
    assert dispositif.required_papers == ["titre_sejour", "rib", "attestation_caf"]
    login(client, members_a[Role.ADMIN])
    url = reverse("dispositif_edit", args=[dispositif.public_id])
    page = client.get(url).content.decode()
    assert 'name="required_papers"' in page and "Pièces demandées" in page
    client.post(url, {**VALID, "code": dispositif.code, "required_papers": ["rib", "assurance"]})
    dispositif.refresh_from_db()
    assert dispositif.required_papers == ["rib", "assurance"]
    login(client, head_a)
    missing = client.get(household.get_absolute_url()).content.decode()
    line = missing.split("À demander au ménage :")[1].split("</p>")[0]
    assert "RIB" in line and "assurance" in line and "titre" not in line


def test_no_address_serves_a_stored_file(client, household, social_worker_a, org_b):
    """Files are reached by a file's public id through the checks, never by a path: the
    storage's names (``<organisation>/<random>``) lead nowhere, whoever asks."""
    from django.urls import get_resolver

    paper = add_paper(Owner(household=household), PaperKind.RIB, social_worker_a.user)
    name = paper.files.get().file.name
    login(client, social_worker_a)
    for path in (f"/{name}", f"/media/{name}", f"/pieces/{name}", f"/static/{name}",
                 f"/pieces/fichiers/{name}/"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    papers_patterns = [p for p in get_resolver().url_patterns if "pieces" in str(p.pattern)]
    for resolver in papers_patterns:
        for pattern in resolver.url_patterns:
            assert "<path:" not in str(pattern.pattern) and "<str:" not in str(pattern.pattern)


def test_a_paper_of_a_contract_of_a_lease_and_of_a_landlord(
    client, org_a, dispositif_a, household, members_a
):
    from housing.models import MainLease
    from tests.housing.factories import LandlordFactory
    from tests.tenancy.factories import SubleaseContractFactory

    contract = SubleaseContractFactory(organisation=org_a, household=household,
                                       start_date=D(2025, 3, 1))  # fmt: skip
    regisseur = members_a[Role.REGISSEUR]
    login(client, regisseur)
    url = reverse("papers:household_add", args=[household.public_id])
    assert 'name="contract"' in client.get(url).content.decode()
    client.post(url, {"kind": PaperKind.SOUS_LOCATION, "issued_on": "2025-03-01",
                      "contract": contract.pk, "files": [pdf()]})  # fmt: skip
    assert Paper.objects.get(kind=PaperKind.SOUS_LOCATION).contract == contract
    landlord = LandlordFactory(organisation=org_a)
    unit = contract.unit
    lease = MainLease.objects.create(organisation=org_a, unit=unit, landlord=landlord,
                                     management_mode=unit.management_mode,
                                     start_date=D(2024, 1, 1), rent=500)  # fmt: skip
    url = reverse("papers:unit_add", args=[unit.public_id])
    assert 'name="lease"' in client.get(url).content.decode()
    client.post(url, {"kind": PaperKind.BAIL, "issued_on": "2024-01-01", "lease": lease.pk,
                      "valid_until": "2027-01-01", "files": [pdf()]})  # fmt: skip
    assert Paper.objects.get(kind=PaperKind.BAIL).lease == lease
    url = reverse("papers:landlord_add", args=[landlord.public_id])
    assert client.post(url, {"kind": PaperKind.MANDAT, "issued_on": "2024-01-01",
                             "files": [pdf()]}).status_code == 302  # fmt: skip
    page = client.get(reverse("housing:landlord_edit", args=[landlord.public_id]))
    assert "Pièces du bailleur" in page.content.decode()
    assert "Mandat de gestion" in page.content.decode()
    # A social worker reads a home's papers too (housing papers), not a contract of another.
    login(client, members_a[Role.SOCIAL_WORKER])
    mandate = Paper.objects.get(kind=PaperKind.MANDAT).files.get()
    assert client.get(reverse("papers:download", args=[mandate.public_id])).status_code == 200


def test_a_file_missing_from_the_storage_is_a_404(client, household, social_worker_a):
    paper = add_paper(Owner(household=household), PaperKind.RIB, social_worker_a.user)
    page = paper.files.get()
    storages["papers"].delete(page.file.name)
    login(client, social_worker_a)
    assert client.get(reverse("papers:download", args=[page.public_id])).status_code == 404


def test_the_papers_to_renew_cost_the_same_queries_whatever_their_number(
    client, household, social_worker_a, django_assert_max_num_queries
):
    from iml.codes import PersonRole
    from tests.households.factories import PersonFactory as Persons

    login(client, social_worker_a)
    url = reverse("papers:expiring")

    def grow(count):
        for _ in range(count):
            person = Persons(
                organisation=household.organisation, household=household, role=PersonRole.ENFANT
            )
            add_paper(Owner(household=household, person=person), PaperKind.RECEPISSE,
                      social_worker_a.user, valid_until=D(2025, 12, 1))  # fmt: skip

    grow(2)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    grow(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count("Récépissé") == 7


def test_the_organisation_s_kinds_list_costs_the_same_queries_whatever_their_number(
    client, head_a, django_assert_max_num_queries
):
    from papers.models import PaperType

    login(client, head_a)
    PaperType.objects.create(organisation=head_a.organisation, label="Type 0")
    client.get(reverse("papers:types"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("papers:types"))
    for number in range(1, 6):
        PaperType.objects.create(organisation=head_a.organisation, label=f"Type {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("papers:types")).content.decode().count("Type ") >= 6
