"""Inventories (états des lieux): the service's rules, the screens, the PDF, who may do what."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader

from iml.codes import LedgerKind
from iml.models import Role
from tenancy import inventories
from tenancy.models import Inventory, InventoryItem, InventoryKind, LedgerEntry, SubleaseContract
from tenancy.money import contract_balance
from tests.factories import UserFactory
from tests.households.factories import PersonFactory
from tests.tenancy.samples_inventories import InventoryFactory, InventoryItemFactory

D = datetime.date
TODAY = "2025-06-20"
ENTREE, SORTIE = InventoryKind.ENTREE, InventoryKind.SORTIE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with freeze_time(TODAY):
        yield


ITEMS = [
    {"room": "Cuisine", "item": "Évier", "condition": "bon", "notes": ""},
    {"room": "Chambre", "item": "Fenêtre", "condition": "usage", "notes": "Joint abîmé"},
]


def end(contract: SubleaseContract, day: datetime.date) -> SubleaseContract:
    SubleaseContract.objects.filter(pk=contract.pk).update(actual_end_date=day)
    contract.refresh_from_db()
    return contract


def create(contract, kind=ENTREE, *, date=None, items=ITEMS, damages=None, by=None, notes=""):
    return inventories.inventory_create(
        contract=contract,
        kind=kind,
        date=date or (contract.start_date if kind == ENTREE else contract.actual_end_date),
        notes=notes,
        items=items,
        damages=damages,
        by=by or UserFactory(email="regisseur@inventaires.example"),
    )


def counts() -> tuple[int, int, int]:
    return Inventory.objects.count(), InventoryItem.objects.count(), LedgerEntry.objects.count()


def refused(message: str, call) -> ValidationError:
    before = counts()
    with pytest.raises(ValidationError) as error:
        call()
    assert message in str(error.value.messages)
    assert counts() == before, "a refused inventory wrote something"
    return error.value


# --- Service --------------------------------------------------------------------------------


class TestEntry:
    def test_records_the_items_in_order(self, running_contract, head_a):
        inventory = create(running_contract, notes="  Clés : 2 jeux  ", by=head_a.user)
        assert inventory.kind == ENTREE and inventory.date == D(2025, 3, 10)
        assert inventory.notes == "Clés : 2 jeux" and inventory.damages == 0
        assert inventory.damages_entry is None and inventory.created_by == head_a.user
        assert list(inventory.items.values_list("room", "item", "condition", "notes")) == [
            ("Cuisine", "Évier", "bon", ""),
            ("Chambre", "Fenêtre", "usage", "Joint abîmé"),
        ]

    def test_one_entry_inventory_per_contract(self, running_contract):
        first = create(running_contract)
        refused(
            "Ce contrat a déjà son état des lieux d’entrée (du 10/03/2025)",
            lambda: create(running_contract, date=D(2025, 3, 12)),
        )
        assert Inventory.objects.get() == first

    def test_the_database_refuses_a_second_one_of_a_kind(self, running_contract):
        InventoryFactory(organisation=running_contract.organisation, contract=running_contract)
        with pytest.raises(IntegrityError, match="inventory_one_per_kind"), transaction.atomic():
            InventoryFactory(organisation=running_contract.organisation, contract=running_contract)

    def test_not_before_the_contract_start(self, running_contract):
        refused(
            "La date précède le début du contrat (10/03/2025).",
            lambda: create(running_contract, date=D(2025, 3, 9)),
        )

    def test_not_in_the_future(self, running_contract):
        refused(
            "La date ne peut pas être dans le futur.",
            lambda: create(running_contract, date=D(2025, 6, 21)),
        )

    def test_not_after_the_contract_end(self, running_contract):
        end(running_contract, D(2025, 5, 1))
        refused(
            "L’état des lieux d’entrée doit précéder la fin du contrat (01/05/2025).",
            lambda: create(running_contract, date=D(2025, 5, 1)),
        )

    def test_damages_only_at_exit(self, running_contract):
        refused(
            "Des dégradations ne se facturent qu’à la sortie.",
            lambda: create(running_contract, damages=Decimal("50")),
        )

    def test_zero_damages_are_no_damages(self, running_contract):
        assert create(running_contract, damages="0,00").damages == 0

    def test_unknown_kind(self, running_contract):
        refused("Type d’état des lieux inconnu.", lambda: create(running_contract, kind="autre"))


class TestItems:
    def test_at_least_one_item(self, running_contract):
        refused("Relevez au moins un élément", lambda: create(running_contract, items=[]))
        empty = [{"room": " ", "item": "", "condition": "", "notes": ""}]
        refused("Relevez au moins un élément", lambda: create(running_contract, items=empty))

    def test_empty_rows_are_ignored(self, running_contract):
        rows = [{"room": "", "item": "", "condition": ""}, ITEMS[0], {}]
        assert create(running_contract, items=rows).items.count() == 1

    def test_a_row_begun_needs_room_item_and_condition(self, running_contract):
        refused(
            "Ligne 2 : choisissez l’état de « Douche ».",
            lambda: create(running_contract, items=[ITEMS[0], {"room": "SdE", "item": "Douche"}]),
        )
        refused(
            "Ligne 1 : indiquez la pièce et l’élément.",
            lambda: create(running_contract, items=[{"item": "Douche", "condition": "bon"}]),
        )
        refused(
            "Ligne 1 : choisissez l’état",
            lambda: create(
                running_contract, items=[{"room": "a", "item": "b", "condition": "superbe"}]
            ),
        )

    def test_length_limits(self, running_contract):
        long_room = [{"room": "x" * 61, "item": "b", "condition": "bon"}]
        refused("60 caractères au plus", lambda: create(running_contract, items=long_room))


class TestExit:
    def test_only_once_the_contract_end_is_recorded(self, running_contract):
        create(running_contract)
        refused(
            "enregistrez d’abord la sortie du ménage",
            lambda: create(running_contract, SORTIE, date=D(2025, 6, 15)),
        )

    def test_dated_before_on_or_after_the_end_but_not_before_the_entry(self, running_contract):
        create(running_contract, date=D(2025, 3, 12))
        end(running_contract, D(2025, 6, 1))
        refused(
            "L’état des lieux de sortie ne peut précéder celui d’entrée (12/03/2025).",
            lambda: create(running_contract, SORTIE, date=D(2025, 3, 11)),
        )
        # The walk-through on the last day, the day before the first day out.
        assert create(running_contract, SORTIE, date=D(2025, 5, 31)).date == D(2025, 5, 31)

    def test_keys_handed_back_after_the_end(self, running_contract):
        end(running_contract, D(2025, 6, 1))
        assert create(running_contract, SORTIE, date=D(2025, 6, 5)).kind == SORTIE

    def test_one_exit_inventory_per_contract(self, running_contract):
        end(running_contract, D(2025, 6, 1))
        create(running_contract, SORTIE)
        refused(
            "Ce contrat a déjà son état des lieux de sortie (du 01/06/2025)",
            lambda: create(running_contract, SORTIE),
        )

    def test_entry_inventory_not_after_the_exit_one(self, running_contract):
        end(running_contract, D(2025, 6, 1))
        create(running_contract, SORTIE, date=D(2025, 4, 1))
        refused(
            "L’état des lieux d’entrée ne peut suivre celui de sortie.",
            lambda: create(running_contract, date=D(2025, 4, 2)),
        )

    def test_damages_are_a_degradation_debit_in_the_ledger(self, running_contract, head_a):
        create(running_contract)
        end(running_contract, D(2025, 6, 16))
        before = contract_balance(running_contract)
        inventory = create(running_contract, SORTIE, damages="120,50", by=head_a.user)
        entry = inventory.damages_entry
        assert inventory.damages == Decimal("120.50")
        assert entry.kind == LedgerKind.DEGRADATION and entry.debit == Decimal("120.50")
        assert (
            entry.credit == 0
            and entry.date == D(2025, 6, 16)
            and entry.contract == inventory.contract
        )
        assert entry.note == "Dégradations constatées à l’état des lieux de sortie du 16/06/2025"
        assert entry.created_by == head_a.user
        assert contract_balance(running_contract) == before + Decimal("120.50")

    def test_no_damages_no_ledger_entry(self, running_contract):
        end(running_contract, D(2025, 6, 16))
        entries = LedgerEntry.objects.count()
        inventory = create(running_contract, SORTIE, damages=None)
        assert inventory.damages == 0 and inventory.damages_entry is None
        assert LedgerEntry.objects.count() == entries

    @pytest.mark.parametrize(
        ("damages", "message"),
        [
            ("-10", "Le montant doit être positif."),
            ("12.345", "Un montant a au plus deux décimales"),
            ("abc", "Montant invalide"),
            ("100000", "Montant trop élevé"),
        ],
    )
    def test_bad_damages_write_nothing(self, running_contract, damages, message):
        end(running_contract, D(2025, 6, 16))
        balance = contract_balance(running_contract)
        error = refused(message, lambda: create(running_contract, SORTIE, damages=damages))
        assert "damages" in error.message_dict
        assert contract_balance(running_contract) == balance

    def test_bad_items_at_exit_charge_nothing(self, running_contract):
        end(running_contract, D(2025, 6, 16))
        refused(
            "Relevez au moins un élément",
            lambda: create(running_contract, SORTIE, items=[], damages="80"),
        )


class TestComparison:
    def test_exit_rows_beside_the_entry_condition(self, running_contract):
        create(
            running_contract,
            items=[
                {"room": "Cuisine", "item": "Évier", "condition": "bon"},
                {"room": "Chambre", "item": "Fenêtre", "condition": "neuf"},
                {"room": "Cave", "item": "Porte", "condition": "usage"},
            ],
        )
        end(running_contract, D(2025, 6, 16))
        exit_inventory = create(
            running_contract,
            SORTIE,
            items=[
                {"room": "cuisine ", "item": "évier", "condition": "mauvais"},
                {"room": "Chambre", "item": "Fenêtre", "condition": "neuf"},
                {"room": "Salon", "item": "Lustre", "condition": "bon"},
            ],
        )
        rows = inventories.inventory_rows(exit_inventory)
        assert [(r.item, r.entry_condition, r.condition, r.worse) for r in rows] == [
            ("évier", "bon état", "mauvais état", True),
            ("Fenêtre", "neuf", "neuf", False),
            ("Lustre", "", "bon état", False),
            ("Porte", "état d’usage", "", False),  # noted at entry, not at exit
        ]

    def test_initial_rows(self, running_contract):
        assert inventories.initial_rows(running_contract, ENTREE)[:3] == [
            {"room": "Entrée", "item": "Porte"},
            {"room": "Entrée", "item": "Sol"},
            {"room": "Entrée", "item": "Murs"},
        ]
        # No entry inventory: an exit starts from the default set as well.
        assert inventories.initial_rows(running_contract, SORTIE)[0]["item"] == "Porte"
        create(running_contract)
        assert inventories.initial_rows(running_contract, SORTIE) == [
            {"room": "Cuisine", "item": "Évier", "entry_condition": "bon"},
            {"room": "Chambre", "item": "Fenêtre", "entry_condition": "usage"},
        ]


# --- Screens --------------------------------------------------------------------------------


def form_data(rows, prefix="items", initial=None, **fields) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(rows) if initial is None else initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, row in enumerate(rows):
        for key in ("room", "item", "condition", "notes"):
            data[f"{prefix}-{index}-{key}"] = row.get(key, "")
    return data


def create_url(contract, kind=ENTREE) -> str:
    return reverse(
        "tenancy:inventory_create", kwargs={"contract": contract.public_id, "kind": kind}
    )


def detail_url(inventory) -> str:
    return reverse("tenancy:inventory_detail", kwargs={"inventory": inventory.public_id})


def pdf_url(inventory) -> str:
    return reverse("tenancy:inventory_pdf", kwargs={"inventory": inventory.public_id})


@pytest.fixture
def regisseur_client(client, members_a):
    client.force_login(members_a[Role.REGISSEUR].user)
    return client


class TestCreateScreen:
    def test_entry_form_offers_the_default_rows(self, regisseur_client, running_contract):
        response = regisseur_client.get(create_url(running_contract))
        html = response.content.decode()
        assert response.status_code == 200
        for text in ("Entrée", "Porte", "Cuisine", "Évier", "Salle d’eau", "WC", "Fenêtre"):
            assert f'value="{text}"' in html
        assert 'value="2025-03-10"' in html  # the contract start
        assert "damages" not in html  # no damages at entry
        assert "ne se modifie plus une fois enregistré" in html
        assert len(response.context["formset"].forms) == 9 + 4

    def test_entry_form_records_and_ignores_empty_rows(self, regisseur_client, running_contract):
        rows = [
            {"room": "Entrée", "item": "Porte", "condition": "bon"},
            {"room": "", "item": "", "condition": ""},  # a default row cleared
            {"room": "Cuisine", "item": "Évier", "condition": "usage", "notes": "Traces"},
            {},
        ]
        data = form_data(rows, initial=3, date="2025-03-10", notes="2 jeux de clés")
        response = regisseur_client.post(create_url(running_contract), data)
        inventory = Inventory.objects.get()
        assert response.status_code == 302 and response["Location"] == detail_url(inventory)
        assert inventory.notes == "2 jeux de clés"
        assert list(inventory.items.values_list("item", "condition", "notes")) == [
            ("Porte", "bon", ""),
            ("Évier", "usage", "Traces"),
        ]

    def test_a_row_without_condition_is_shown_with_its_error(
        self, regisseur_client, running_contract
    ):
        data = form_data([{"room": "Entrée", "item": "Porte"}], date="2025-03-10")
        response = regisseur_client.post(create_url(running_contract), data)
        assert response.status_code == 200
        assert "Choisissez l’état (ou videz la ligne)." in response.content.decode()
        assert not Inventory.objects.exists()

    def test_no_row_at_all(self, regisseur_client, running_contract):
        data = form_data([{}, {}], date="2025-03-10")
        html = regisseur_client.post(create_url(running_contract), data).content.decode()
        assert "Relevez au moins un élément (pièce, élément et état)." in html
        assert not Inventory.objects.exists()

    def test_a_service_refusal_shows_on_the_form(self, regisseur_client, running_contract):
        data = form_data([ITEMS[0]], date="2025-03-01")
        html = regisseur_client.post(create_url(running_contract), data).content.decode()
        assert "La date précède le début du contrat (10/03/2025)." in html
        assert not Inventory.objects.exists()

    def test_exit_form_waits_for_the_end_of_the_contract(self, regisseur_client, running_contract):
        html = regisseur_client.get(create_url(running_contract, SORTIE)).content.decode()
        assert "Le contrat n’est pas terminé" in html and "items-TOTAL_FORMS" not in html

    def test_exit_form_prefilled_from_the_entry(self, regisseur_client, running_contract):
        create(running_contract)
        end(running_contract, D(2025, 6, 16))
        response = regisseur_client.get(create_url(running_contract, SORTIE))
        html = response.content.decode()
        assert 'value="Évier"' in html and 'value="Fenêtre"' in html and 'value="Porte"' not in html
        assert "À l’entrée" in html and "état d’usage" in html
        assert 'name="damages"' in html and 'value="2025-06-16"' in html
        assert len(response.context["formset"].forms) == 2 + 4

    def test_exit_with_damages(self, regisseur_client, running_contract):
        create(running_contract)
        end(running_contract, D(2025, 6, 16))
        balance = contract_balance(running_contract)
        rows = [
            {"room": "Cuisine", "item": "Évier", "condition": "mauvais", "notes": "Fêlé"},
            {"room": "Chambre", "item": "Fenêtre", "condition": "usage"},
        ]
        data = form_data(rows, date="2025-06-16", damages="150.00")
        response = regisseur_client.post(create_url(running_contract, SORTIE), data, follow=True)
        html = response.content.decode()
        assert "Les dégradations sont inscrites au compte du ménage." in html
        assert "150,00" in html and "bon état" in html and "mauvais état" in html
        assert contract_balance(running_contract) == balance + Decimal("150.00")
        entry = LedgerEntry.objects.get(kind=LedgerKind.DEGRADATION)
        assert Inventory.objects.get(kind=SORTIE).damages_entry == entry

    def test_an_existing_inventory_is_not_redone(self, regisseur_client, running_contract):
        inventory = create(running_contract)
        response = regisseur_client.get(create_url(running_contract))
        assert response.status_code == 302 and response["Location"] == detail_url(inventory)

    def test_unknown_kind_is_404(self, regisseur_client, running_contract):
        assert regisseur_client.get(create_url(running_contract, "milieu")).status_code == 404


class TestDetailAndPdf:
    @pytest.fixture
    def exit_inventory(self, running_contract, head_a):
        PersonFactory(
            organisation=running_contract.organisation,
            household=running_contract.household,
            first_name="Awa",
            last_name="Diallo",
            role="referent",
        )
        create(running_contract, notes="Compteur EDF 12345")
        end(running_contract, D(2025, 6, 16))
        return create(
            running_contract,
            SORTIE,
            items=[
                {"room": "Cuisine", "item": "Évier", "condition": "hors_service", "notes": "Cassé"},
                {"room": "Chambre", "item": "Fenêtre", "condition": "usage"},
            ],
            damages="245.80",
            notes="Logement rendu propre",
            by=head_a.user,
        )

    def test_detail_compares_with_the_entry(self, regisseur_client, exit_inventory):
        html = regisseur_client.get(detail_url(exit_inventory)).content.decode()
        assert "État des lieux de sortie du 16/06/2025" in html
        assert "État à l’entrée" in html and "hors service" in html and "(dégradé)" in html
        assert "245,80" in html and "inscrites au compte le 16/06/2025" in html
        assert "ne se modifie pas une fois enregistré" in html
        assert pdf_url(exit_inventory) in html

    def test_entry_detail_offers_the_exit_once_the_contract_ended(
        self, regisseur_client, social_worker_a, client, running_contract
    ):
        entry = create(running_contract)
        html = regisseur_client.get(detail_url(entry)).content.decode()
        assert "Faire l’état des lieux de sortie" not in html
        end(running_contract, D(2025, 6, 16))
        html = regisseur_client.get(detail_url(entry)).content.decode()
        assert create_url(running_contract, SORTIE) in html
        client.force_login(social_worker_a.user)
        assert (
            create_url(running_contract, SORTIE)
            not in client.get(detail_url(entry)).content.decode()
        )

    def test_pdf(self, regisseur_client, exit_inventory):
        response = regisseur_client.get(pdf_url(exit_inventory))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert "etat-des-lieux-sortie-" in response["Content-Disposition"]
        reader = PdfReader(io.BytesIO(response.content))
        text = " ".join(page.extract_text() for page in reader.pages)
        flat = " ".join(text.split())
        assert "État des lieux de sortie" in flat
        assert exit_inventory.contract.reference in flat and "Awa Diallo" in flat
        for expected in ("Évier", "Fenêtre", "hors service", "bon état", "état d’usage", "Cassé"):
            assert expected in flat, expected
        assert "État à l’entrée" in flat and "État à la sortie" in flat
        assert "245,80" in flat and "Logement rendu propre" in flat

    def test_entry_pdf_has_no_damages(self, regisseur_client, running_contract):
        inventory = create(running_contract, notes="Compteur EDF 12345")
        response = regisseur_client.get(pdf_url(inventory))
        text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
        assert "État des lieux d’entrée" in text and "Compteur EDF 12345" in text
        assert "Évier" in text and "Dégradations" not in text

    def test_detail_query_count_does_not_grow_with_items(
        self, regisseur_client, running_contract, django_assert_max_num_queries
    ):
        entry = create(running_contract)
        end(running_contract, D(2025, 6, 16))
        inventory = create(running_contract, SORTIE)
        with django_assert_max_num_queries(12):
            regisseur_client.get(detail_url(inventory))
        for _ in range(20):
            InventoryItemFactory(inventory=entry)
            InventoryItemFactory(inventory=inventory)
        with django_assert_max_num_queries(12):
            regisseur_client.get(detail_url(inventory))


# --- Who may do what ------------------------------------------------------------------------

READERS = {Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD}
RECORDERS = {Role.REGISSEUR, Role.HEAD}


@pytest.fixture
def urls_a(running_contract):
    """Every inventory URL of organisation A: (url, roles that may open it)."""
    entry = InventoryFactory(organisation=running_contract.organisation, contract=running_contract)
    InventoryItemFactory(inventory=entry)
    end(running_contract, D(2025, 6, 16))
    return [
        (create_url(running_contract, SORTIE), RECORDERS),
        (create_url(running_contract, ENTREE), RECORDERS),  # redirects to the existing one
        (detail_url(entry), READERS),
        (pdf_url(entry), READERS),
    ]


def test_every_url_is_in_the_matrix():
    from tenancy import urls

    names = {p.name for p in urls.urlpatterns if p.name.startswith("inventory")}
    assert names == {"inventory_create", "inventory_detail", "inventory_pdf"}


def test_roles(client, members_a, urls_a):
    for url, allowed in urls_a:
        for role in Role:
            client.force_login(members_a[role].user)
            status = client.get(url).status_code
            expected = {200, 302} if role in allowed else {403}
            assert status in expected, f"GET {url} as {role}: {status}"
            if "etat-des-lieux/" in url and role not in allowed:
                assert client.post(url).status_code == 403, f"POST {url} as {role}"
    assert not Inventory.objects.filter(kind=SORTIE).exists()


def test_another_organisation_gets_404(client, members_b, urls_a):
    before = counts()
    for url, _ in urls_a:
        for role in RECORDERS:
            client.force_login(members_b[role].user)
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert response.status_code == 404, f"{method} {url} as {role} of B"
    assert counts() == before


def test_anonymous_visitors_are_sent_to_login(client, urls_a):
    for url, _ in urls_a:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
