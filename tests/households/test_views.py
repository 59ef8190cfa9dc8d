import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from households.models import (
    EmploymentRecord,
    EventKind,
    Household,
    HouseholdEvent,
    HouseholdStatus,
    Person,
    ResourceRecord,
)
from iml.models import Role
from tenancy.models import SubleaseContract
from tests.conftest import shown
from tests.households.factories import HouseholdFactory, PersonFactory

D = datetime.date


@pytest.fixture
def sw_client(client, social_worker_a):
    client.force_login(social_worker_a.user)
    return client


@pytest.fixture
def household(org_a, dispositif_a):
    household = HouseholdFactory(
        organisation=org_a, dispositif=dispositif_a, reference="M-7", present=True
    )
    PersonFactory(
        organisation=org_a, household=household, last_name="Tesfamariam", first_name="Hélène"
    )
    return household


# Entry and exit carry the sublease contract: tenancy's use cases.
STAY_VIEWS = {"household_admit", "household_exit"}


def url(name, obj):
    app = "tenancy" if name in STAY_VIEWS else "households"
    return reverse(f"{app}:{name}", args=[obj.public_id])


@pytest.mark.django_db
class TestLists:
    def test_list_shows_reference_person_and_status(self, sw_client, household):
        body = sw_client.get(reverse("households:household_list")).content.decode()
        assert "M-7" in body and "Tesfamariam" in body and "présent" in body

    @pytest.mark.parametrize("text", ["helene", "HÉLÈNE tesfa", "tesfamariam hélène", "M-7"])
    def test_search_ignores_accents_case_and_order(self, sw_client, household, org_a, text):
        HouseholdFactory(organisation=org_a, reference="AUTRE-1")
        response = sw_client.get(reverse("households:household_list"), {"q": text})
        refs = [h.reference for h in response.context["page"].object_list]
        assert refs == ["M-7"]

    def test_filter_by_status_and_referent(
        self, sw_client, household, org_a, social_worker_a, dispositif_a
    ):
        HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="W-1")
        Household.all_organisations.filter(pk=household.pk).update(referent=social_worker_a.user)
        list_url = reverse("households:household_list")
        waiting = sw_client.get(list_url, {"status": "oriented"}).context["page"].object_list
        assert [h.reference for h in waiting] == ["W-1"]
        mine = sw_client.get(list_url, {"referent": social_worker_a.user.pk})
        assert [h.reference for h in mine.context["page"].object_list] == ["M-7"]

    def test_empty_states_say_what_to_do(self, sw_client):
        body = sw_client.get(reverse("households:household_list")).content.decode()
        assert "Enregistrez la première orientation SIAO" in body
        body = sw_client.get(reverse("households:household_list"), {"q": "zzz"}).content.decode()
        assert "Aucun ménage ne correspond" in body
        body = sw_client.get(reverse("households:waiting_list")).content.decode()
        assert "la liste d’attente est vide" in body

    @freeze_time("2026-03-01")
    def test_waiting_list_oldest_first_with_days_waited(self, sw_client, org_a, household):
        HouseholdFactory(organisation=org_a, reference="W-new", orientation_date=D(2026, 2, 20))
        HouseholdFactory(organisation=org_a, reference="W-old", orientation_date=D(2025, 12, 1))
        response = sw_client.get(reverse("households:waiting_list"))
        rows = [(h.reference, h.waited_days) for h in shown(response, "page").object_list]
        assert rows == [("W-old", 90), ("W-new", 9)]

    @pytest.mark.parametrize("name", ["household_list", "waiting_list"])
    def test_query_count_is_constant(
        self, sw_client, org_a, dispositif_a, name, django_assert_max_num_queries
    ):
        def grow(n):
            for _ in range(n):
                h = HouseholdFactory(organisation=org_a, dispositif=dispositif_a)
                PersonFactory(organisation=org_a, household=h)

        grow(3)
        with django_assert_max_num_queries(13):
            sw_client.get(reverse(f"households:{name}"))
        grow(40)
        with django_assert_max_num_queries(13):
            response = sw_client.get(reverse(f"households:{name}"))
        assert len(shown(response, "page").object_list) == 25


@pytest.mark.django_db
class TestHouseholdPage:
    def test_page_shows_persons_and_timeline(self, sw_client, household):
        body = sw_client.get(url("household_detail", household)).content.decode()
        assert "Tesfamariam" in body and "Afghanistan" in body
        assert "Enregistrer la sortie" in body

    def test_query_count_does_not_grow_with_persons(
        self, sw_client, household, org_a, django_assert_max_num_queries
    ):
        # One per list the apps above add (papers, demand, proposals, measures, the sublease
        # towards a sliding lease with its plan).
        with django_assert_max_num_queries(20):
            sw_client.get(url("household_detail", household))
        PersonFactory.create_batch(8, organisation=org_a, household=household, role="enfant")
        with django_assert_max_num_queries(20):
            sw_client.get(url("household_detail", household))


@pytest.mark.django_db
class TestForms:
    def orient_data(self, dispositif, **extra):
        data = {
            "dispositif": dispositif.pk,
            "reference": "M2026-001",
            "siao_reference": "SIAO-71-26001",
            "orientation_date": "2026-02-03",
            "orienting_structure": "CADA Le Pont Chalon-sur-Saône",
            "prior_situation": "asile",
            "last_name": "Rahimi",
            "first_name": "Javid",
            "sex": "m",
            "birth_date": "1998-07-12",
            "nationality": "AF",
            "protection_status": "refugie",
        }
        data.update(extra)
        return data

    def test_orient_then_admit_then_exit(self, sw_client, org_a, dispositif_a):
        from tests.housing.factories import HousingUnitFactory

        unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                                  captation_date=D(2020, 1, 1))  # fmt: skip
        response = sw_client.post(
            reverse("households:household_orient"), self.orient_data(dispositif_a), follow=True
        )
        assert "Orientation enregistrée : M2026-001" in response.content.decode()
        household = Household.all_organisations.get(reference="M2026-001")
        assert Person.all_organisations.get(household=household).nationality == "AF"

        response = sw_client.post(
            url("household_admit", household),
            {"entry_date": "2026-03-01", "space": str(unit.public_id), "rent": "350,00",
             "charges": "40", "deposit": "0", "expected_housing_benefit": "210,50"},
            follow=True,
        )  # fmt: skip
        assert "contrat C2026-001 jusqu’au 01/09/2026" in response.content.decode()
        household.refresh_from_db()
        assert household.status == HouseholdStatus.PRESENT
        contract = SubleaseContract.all_organisations.get(household=household)
        assert contract.unit == unit and contract.room is None
        assert (contract.rent, contract.expected_housing_benefit) == (
            Decimal("350.00"), Decimal("210.50"),
        )  # fmt: skip

        sw_client.post(
            url("household_exit", household),
            {
                "exit_date": "2026-09-01",
                "destination": "logement_social",
                "bail_glissant": "on",
                "exit_support": ["agir"],
            },
        )
        household.refresh_from_db()
        assert household.status == HouseholdStatus.EXITED and household.bail_glissant
        kinds = set(
            HouseholdEvent.all_organisations.filter(household=household).values_list(
                "kind", flat=True
            )
        )
        assert {EventKind.ORIENTED, EventKind.ADMITTED, EventKind.EXITED} <= kinds

    def test_orient_form_suggests_a_free_reference(self, sw_client, org_a):
        response = sw_client.get(reverse("households:household_orient"))
        assert response.context["form"].initial["reference"].startswith("M20")

    def test_invalid_orientation_keeps_input_and_writes_nothing(self, sw_client, dispositif_a):
        data = self.orient_data(dispositif_a, birth_date="2999-01-01", nationality="ZZ")
        response = sw_client.post(reverse("households:household_orient"), data)
        body = response.content.decode()
        assert "ne peut pas être dans le futur" in body
        assert "Sélectionnez un choix valide" in body
        assert 'value="Rahimi"' in body
        assert not Household.all_organisations.exists()

    def test_service_refusal_is_shown_on_the_form(self, sw_client, household):
        response = sw_client.post(
            url("household_exit", household),
            {"exit_date": "2024-01-01", "destination": "tiers"},
        )
        assert "La sortie ne peut pas précéder l’entrée." in response.content.decode()
        household.refresh_from_db()
        assert household.exit_date is None

    def test_withdraw(self, sw_client, org_a, dispositif_a):
        waiting = HouseholdFactory(organisation=org_a, dispositif=dispositif_a)
        PersonFactory(organisation=org_a, household=waiting)
        sw_client.post(
            url("household_withdraw", waiting),
            {"withdrawal_date": "2025-02-01", "reason": "refus_menage"},
        )
        waiting.refresh_from_db()
        assert waiting.status == HouseholdStatus.WITHDRAWN

    def test_edit_household(self, sw_client, household, dispositif_a):
        sw_client.post(
            url("household_edit", household),
            {
                "dispositif": dispositif_a.pk,
                "reference": "M-7",
                "orientation_date": "2025-01-10",
                "reinforced_support": "on",
            },
        )
        household.refresh_from_db()
        assert household.reinforced_support

    def test_the_caf_number_is_recorded_and_checked(self, sw_client, household, dispositif_a):
        data = {"dispositif": dispositif_a.pk, "reference": household.reference,
                "orientation_date": "2025-01-10"}  # fmt: skip
        refused = sw_client.post(url("household_edit", household), {**data, "caf_number": "12-AB"})
        assert "Le n° d’allocataire CAF compte de 5 à 15 chiffres." in refused.content.decode()
        sw_client.post(url("household_edit", household), {**data, "caf_number": "1234567"})
        household.refresh_from_db()
        assert household.caf_number == "1234567"
        page = sw_client.get(household.get_absolute_url()).content.decode()
        assert "N° d’allocataire CAF" in page and "1234567" in page

    def test_person_arrives_edits_leaves_and_gets_employment(self, sw_client, household):
        sw_client.post(
            url("person_add", household),
            {
                "last_name": "Tesfamariam",
                "first_name": "Yonas",
                "sex": "m",
                "birth_date": "1990-01-01",
                "role": "conjoint",
                "joined_date": "2025-06-01",
            },
        )
        partner = Person.all_organisations.get(first_name="Yonas")
        assert partner.joined_date == D(2025, 6, 1)
        sw_client.post(
            url("person_edit", partner),
            {
                "last_name": "Tesfamariam",
                "first_name": "Yonas",
                "sex": "m",
                "birth_date": "1990-01-02",
                "role": "conjoint",
                "nationality": "ER",
            },
        )
        partner.refresh_from_db()
        assert partner.birth_date == D(1990, 1, 2) and partner.nationality == "ER"
        sw_client.post(
            url("employment_add", partner), {"date": "2025-07-01", "employment": "emploi"}
        )
        assert EmploymentRecord.all_organisations.get(person=partner).employment == "emploi"
        sw_client.post(url("person_leave", partner), {"left_date": "2025-10-01"})
        partner.refresh_from_db()
        assert partner.left_date == D(2025, 10, 1)

    def test_resources(self, sw_client, household):
        sw_client.post(
            url("resources_add", household),
            {"date": "2025-04-01", "resources": ["salaire", "prime_activite"]},
        )
        assert ResourceRecord.all_organisations.get(household=household).resources == [
            "prime_activite",
            "salaire",
        ]
        body = sw_client.get(url("household_detail", household)).content.decode()
        assert "prime d’activité, salaire" in body

    def test_resources_start_from_the_current_ones_with_optional_monthly_amounts(
        self, sw_client, household
    ):
        first = {"date": "2025-04-01", "resources": ["rsa"], "amount_rsa": "612,50"}
        assert sw_client.post(url("resources_add", household), first).status_code == 302
        form = sw_client.get(url("resources_add", household)).context["form"]
        assert form.initial["resources"] == ["rsa"]
        assert form.initial["amount_rsa"] == Decimal("612.50")
        # An amount for a resource not checked is refused, and nothing is recorded.
        wrong = {"date": "2025-05-01", "resources": ["rsa"], "amount_aah": "900"}
        refused = sw_client.post(url("resources_add", household), wrong)
        assert "ressource non cochée" in refused.content.decode()
        assert ResourceRecord.all_organisations.filter(household=household).count() == 1
        body = sw_client.get(url("household_detail", household)).content.decode()
        assert "RSA 612,50\u00a0€/mois" in body


WRITE_VIEWS = [
    ("household_edit", "household"),
    ("household_withdraw", "household"),
    ("household_exit", "household"),
    ("person_add", "household"),
    ("resources_add", "household"),
    ("person_edit", "person"),
    ("person_leave", "person"),
    ("employment_add", "person"),
]


@pytest.mark.django_db
class TestPermissions:
    @pytest.mark.parametrize(("name", "kind"), WRITE_VIEWS)
    def test_regisseur_reads_but_never_writes(self, client, members_a, household, name, kind):
        client.force_login(members_a[Role.REGISSEUR].user)
        target = (
            household if kind == "household" else Person.all_organisations.get(household=household)
        )
        assert client.get(url("household_detail", household)).status_code == 200
        assert client.get(url(name, target)).status_code == 403
        assert client.post(url(name, target), {}).status_code == 403
        assert client.get(reverse("households:household_orient")).status_code == 403

    def test_regisseur_signs_admissions(self, client, members_a, org_a, dispositif_a):
        waiting = HouseholdFactory(organisation=org_a, dispositif=dispositif_a)
        client.force_login(members_a[Role.REGISSEUR].user)
        assert client.get(url("household_admit", waiting)).status_code == 200
        client.force_login(members_a[Role.ADMIN].user)
        assert client.get(url("household_admit", waiting)).status_code == 403

    def test_regisseur_page_has_no_action_buttons(self, client, members_a, household):
        client.force_login(members_a[Role.REGISSEUR].user)
        body = client.get(url("household_detail", household)).content.decode()
        assert "Enregistrer la sortie" not in body and "Ajouter une personne" not in body

    def test_admin_role_has_no_access_to_households(self, client, admin_a, household):
        client.force_login(admin_a.user)
        assert client.get(reverse("households:household_list")).status_code == 403
        assert client.get(url("household_detail", household)).status_code == 403

    @pytest.mark.parametrize(
        ("name", "kind"),
        [*WRITE_VIEWS, ("household_detail", "household"), ("household_admit", "household")],
    )
    def test_other_organisation_gets_404(self, client, members_b, household, name, kind):
        client.force_login(members_b[Role.HEAD].user)
        target = (
            household if kind == "household" else Person.all_organisations.get(household=household)
        )
        assert client.get(url(name, target)).status_code == 404
        assert client.post(url(name, target), {}).status_code == 404


@pytest.mark.django_db
def test_dashboard_counts_households(client, org_a, social_worker_a, dispositif_a):
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True,
                     referent=social_worker_a.user)  # fmt: skip
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True)
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a)
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, exited=True)
    client.force_login(social_worker_a.user)
    cards = {c.label: c.value for c in shown(client.get(reverse("dashboard")), "counts")}
    assert cards["Ménages présents"] == 2
    assert cards["En liste d’attente"] == 1
    assert cards["Ménages dont je suis référent·e"] == 1


@pytest.mark.django_db
def test_pagination_keeps_the_filters(client, org_a, social_worker_a, dispositif_a):
    for _ in range(30):
        HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True)
    client.force_login(social_worker_a.user)
    body = client.get(reverse("households:household_list"), {"status": "present"}).content
    assert b"?status=present&amp;page=2" in body


@pytest.mark.django_db
def test_admission_page_lists_the_free_spaces_of_the_dispositif(
    client, org_a, social_worker_a, dispositif_a
):
    from tests.housing.factories import HousingUnitFactory

    HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, reference="LOG-LIBRE",
                       captation_date=D(2020, 1, 1))  # fmt: skip
    waiting = HouseholdFactory(organisation=org_a, dispositif=dispositif_a)
    client.force_login(social_worker_a.user)
    body = client.get(url("household_admit", waiting)).content.decode()
    assert "LOG-LIBRE" in body and "Logement ou chambre" in body


@pytest.mark.django_db
def test_admission_into_a_space_that_is_not_free_on_the_entry_date_writes_nothing(
    client, org_a, social_worker_a, dispositif_a
):
    from tests.housing.factories import HousingUnitFactory

    unit = HousingUnitFactory(organisation=org_a, dispositif=dispositif_a,
                              captation_date=D(2026, 1, 1))  # fmt: skip
    waiting = HouseholdFactory(organisation=org_a, dispositif=dispositif_a,
                               orientation_date=D(2025, 6, 1))  # fmt: skip
    PersonFactory(organisation=org_a, household=waiting)
    client.force_login(social_worker_a.user)
    response = client.post(
        url("household_admit", waiting),
        {"entry_date": "2025-12-01", "space": str(unit.public_id), "rent": "300",
         "charges": "0", "deposit": "0", "expected_housing_benefit": "0"},
    )  # fmt: skip
    assert "pas libre à la date d’entrée" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.entry_date is None
    assert not SubleaseContract.all_organisations.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], "M2026-001"),
        (["BPI-045", "BPI-047", "BPI-046"], "BPI-048"),
        (["M2025-118"], "M2026-001"),
        (["Famille Diallo"], "M2026-001"),
        (["A-9", "A-10"], "A-11"),
    ],
)
def test_orientation_suggests_the_organisation_s_own_pattern(
    sw_client, org_a, dispositif_a, existing, expected
):
    for reference in existing:
        HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference=reference)
    with freeze_time("2026-03-10"):
        form = sw_client.get(reverse("households:household_orient")).context["form"]
    assert form.initial["reference"] == expected
    # The only dispositif of the organisation is chosen already.
    assert form.initial["dispositif"] == dispositif_a.pk
