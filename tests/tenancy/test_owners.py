"""The owner side: what the operator owes its landlords month by month (prorated by the
days of the lease), what it paid them, what it called from the households on the same units,
and the vacancy; payments to landlords; roles and isolation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from iml.codes import LedgerKind, ManagementMode, PaymentMethod
from iml.models import Role
from tenancy import ledger, owners
from tenancy.calls import calls_resync, issue_rent_calls
from tenancy.models import LandlordPayment, LedgerEntry, SubleaseContract
from tests.housing.factories import HousingUnitFactory, MainLeaseFactory, RoomFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date
E = Decimal
JUNE = D(2025, 6, 1)
STATEMENT = reverse("tenancy:owner_statement") + "?mois=2025-06"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def frozen():
    with freeze_time("2025-06-20"):
        yield


def unit(org, dispositif, reference, **kwargs):
    return HousingUnitFactory(
        organisation=org, dispositif=dispositif, reference=reference, **kwargs
    )


def lease(org, housing_unit, **kwargs):
    kwargs.setdefault("start_date", D(2024, 1, 1))
    return MainLeaseFactory(organisation=org, unit=housing_unit, **kwargs)


def contract(org, housing_unit, **kwargs):
    kwargs.setdefault("start_date", D(2025, 1, 1))
    return SubleaseContractFactory(organisation=org, unit=housing_unit, **kwargs)


def rows(month=JUNE) -> dict:
    return {row.unit.reference: row for row in owners.owner_leases(month)}


def html(response) -> str:
    return response.content.decode()


def pay_url(main_lease, month: str = "2025-06") -> str:
    return reverse("tenancy:landlord_payment_create", kwargs={"lease": main_lease.public_id}) + (
        f"?mois={month}"
    )


@pytest.fixture
def regisseur(client, members_a):
    client.force_login(members_a[Role.REGISSEUR].user)
    return client


@pytest.fixture
def vacant(org_a, dispositif_a):
    """U-VAC: a whole flat under a lease of 500 + 50 € since 2024; its household entered on
    11 June 2025 (rent 400 + 50: called 300.00 for 20 days). Ten days vacant in June."""
    housing_unit = unit(org_a, dispositif_a, "U-VAC")
    main_lease = lease(org_a, housing_unit)
    contract(org_a, housing_unit, start_date=D(2025, 6, 11))
    issue_rent_calls(organisation_id=org_a.pk, months=[JUNE])
    return main_lease


# --- Figures of the month ---------------------------------------------------------------------


def test_a_unit_with_a_vacancy_contract_starting_mid_month(vacant, head_a):
    owners.landlord_payment_record(
        lease=vacant, period=JUNE, paid_on=D(2025, 6, 5), amount="300", method="virement",
        by=head_a.user,
    )  # fmt: skip
    owners.landlord_payment_record(
        lease=vacant, period=JUNE, paid_on=D(2025, 6, 15), amount="250,00", method="cheque",
        by=head_a.user,
    )  # fmt: skip
    row = rows()["U-VAC"]
    assert (row.lease_days, row.owed, row.paid) == (30, E("550.00"), E("550.00"))
    assert (row.called, row.differential) == (E("300.00"), E("-250.00"))
    assert (row.vacant_days, row.capacity_days) == (10, 30)
    # July: no household call issued yet, the lease runs the whole month, no vacancy.
    july = rows(D(2025, 7, 1))["U-VAC"]
    assert (july.owed, july.paid, july.called, july.vacant_days) == (E("550.00"), 0, 0, 0)


def test_owed_rent_is_prorated_for_a_lease_starting_or_ending_in_the_month(org_a, dispositif_a):
    lease(org_a, unit(org_a, dispositif_a, "U-NEW"), start_date=D(2025, 6, 11))
    lease(org_a, unit(org_a, dispositif_a, "U-END"), end_date=D(2025, 6, 16))
    lease(org_a, unit(org_a, dispositif_a, "U-LATER"), start_date=D(2025, 7, 1))
    lease(org_a, unit(org_a, dispositif_a, "U-GONE"), end_date=D(2025, 6, 1))
    lease(
        org_a,
        unit(org_a, dispositif_a, "U-MANDAT"),
        management_mode=ManagementMode.MANDAT_GESTION,
    )
    lease(
        org_a, unit(org_a, dispositif_a, "U-GLISSANT"), management_mode=ManagementMode.BAIL_GLISSANT
    )
    june = rows()
    assert set(june) == {"U-NEW", "U-END", "U-GLISSANT"}
    assert (june["U-NEW"].lease_days, june["U-NEW"].owed) == (20, E("366.67"))
    assert june["U-NEW"].owed == ledger.prorate(E("550.00"), 20, 30)
    assert (june["U-END"].lease_days, june["U-END"].owed) == (15, E("275.00"))
    # Vacancy counts the lease's days only.
    assert (june["U-NEW"].vacant_days, june["U-END"].vacant_days) == (20, 15)
    # February 2024 (29 days), a lease from the 20th: 10 days.
    lease(org_a, unit(org_a, dispositif_a, "U-FEB"), start_date=D(2024, 2, 20))
    february = rows(D(2024, 2, 1))["U-FEB"]
    assert (february.lease_days, february.owed) == (10, ledger.prorate(E("550.00"), 10, 29))


def test_a_shared_flat_with_one_room_let(org_a, dispositif_a):
    flat = unit(org_a, dispositif_a, "U-COLOC", shared=True)
    first = RoomFactory(organisation=org_a, unit=flat, label="Chambre A")
    RoomFactory(organisation=org_a, unit=flat, label="Chambre B")
    lease(org_a, flat, rent=E("600.00"), charges=E("60.00"))
    contract(org_a, flat, room=first, rent=E("300.00"), charges=E("30.00"))
    issue_rent_calls(organisation_id=org_a.pk, months=[JUNE])
    row = rows()["U-COLOC"]
    assert (row.room_count, row.spaces) == (2, 2)
    # Room-days: 2 rooms x 30 days, one room let all month.
    assert (row.capacity_days, row.vacant_days) == (60, 30)
    assert (row.owed, row.called, row.differential) == (E("660.00"), E("330.00"), E("-330.00"))


def test_a_whole_shared_flat_let_to_one_household_has_no_vacancy(org_a, dispositif_a):
    flat = unit(org_a, dispositif_a, "U-COLOC", shared=True)
    RoomFactory(organisation=org_a, unit=flat, label="Chambre A")
    RoomFactory(organisation=org_a, unit=flat, label="Chambre B")
    lease(org_a, flat)
    contract(org_a, flat, start_date=D(2025, 6, 16))
    row = rows()["U-COLOC"]
    assert (row.capacity_days, row.vacant_days) == (60, 30)  # both rooms from the 16th


def test_a_reversed_rent_call_is_not_counted_as_called(vacant, head_a):
    # The household never came: its contract ends on its first day, recorded late.
    contract = SubleaseContract.objects.get()
    SubleaseContract.objects.filter(pk=contract.pk).update(actual_end_date=contract.start_date)
    calls_resync(contract=contract, by=head_a.user, reason="Entrée annulée", today=D(2025, 6, 20))
    assert LedgerEntry.objects.filter(kind=LedgerKind.ANNULATION).count() == 1
    assert rows()["U-VAC"].called == 0


def test_calls_count_once_when_two_leases_share_a_month(org_a, dispositif_a):
    housing_unit = unit(org_a, dispositif_a, "U-TWO")
    lease(org_a, housing_unit, end_date=D(2025, 6, 16))
    lease(org_a, housing_unit, start_date=D(2025, 6, 16), rent=E("600.00"), charges=E("0"))
    contract(org_a, housing_unit)
    issue_rent_calls(organisation_id=org_a.pk, months=[JUNE])
    first, second = owners.owner_leases(JUNE)
    assert (first.owed, first.called, first.vacant_days) == (E("275.00"), 0, 0)
    assert (second.owed, second.called, second.vacant_days) == (E("300.00"), E("450.00"), 0)
    totals = owners.owner_totals(owners.owner_leases(JUNE))
    assert (totals["owed"], totals["called"]) == (E("575.00"), E("450.00"))


def test_the_statement_page_shows_figures_and_totals(vacant, org_a, dispositif_a, regisseur):
    lease(org_a, unit(org_a, dispositif_a, "U-NEW"), start_date=D(2025, 6, 11))
    response = regisseur.get(STATEMENT)
    page = html(response)
    assert response.status_code == 200 and "Loyers des bailleurs — juin 2025" in page
    assert "U-VAC" in page and "U-NEW" in page
    assert "916,67\u00a0€" in page  # 550.00 + 366.67 owed
    assert "-616,67\u00a0€" in page  # differential: 300.00 - 916.67
    assert "bail sur 20 jours du mois" in page
    assert pay_url(vacant) in page
    totals = response.context["totals"]
    assert (totals["vacant_days"], totals["unpaid"]) == (30, E("916.67"))


def test_an_empty_month_says_what_to_do(org_a, regisseur):
    page = html(regisseur.get(STATEMENT))
    assert "Aucun bail principal en sous-location ne court en juin 2025" in page


def test_the_statement_is_paginated_past_50_leases(org_a, dispositif_a, regisseur):
    for n in range(51):
        lease(org_a, unit(org_a, dispositif_a, f"U-{n:03d}"))
    response = regisseur.get(STATEMENT)
    assert response.context["page"].paginator.num_pages == 2
    assert len(response.context["page"].object_list) == 50
    assert response.context["totals"]["owed"] == 51 * E("550.00")
    second = regisseur.get(STATEMENT + "&page=2")
    assert [row.unit.reference for row in second.context["page"].object_list] == ["U-050"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len([q for q in context.captured_queries if "set_config(" not in q["sql"]])


def test_the_statement_runs_a_constant_number_of_queries(
    org_a, dispositif_a, head_a, regisseur, django_assert_max_num_queries
):
    lease(org_a, unit(org_a, dispositif_a, "U-ONE"))
    baseline = _queries(regisseur, STATEMENT)
    for n in range(5):
        flat = unit(org_a, dispositif_a, f"U-MORE-{n}", shared=bool(n % 2))
        room = RoomFactory(organisation=org_a, unit=flat) if n % 2 else None
        more = lease(org_a, flat)
        contract(org_a, flat, room=room, start_date=D(2025, 6, 1 + n))
        owners.landlord_payment_record(
            lease=more, period=JUNE, paid_on=JUNE, amount="100", method="virement",
            by=head_a.user,
        )  # fmt: skip
    issue_rent_calls(organisation_id=org_a.pk, months=[JUNE])
    with django_assert_max_num_queries(baseline):
        response = regisseur.get(STATEMENT)
    assert response.context["page"].paginator.count == 6


# --- Payments to landlords --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", "Le montant doit être positif."),
        ({"amount": "-10"}, "amount", "Le montant doit être positif."),
        ({"amount": "12,3x"}, "amount", "Montant invalide"),
        ({"period": D(2023, 12, 1)}, "period", "Le bail ne court pas en 12/2023"),
        ({"period": D(2025, 7, 1)}, "period", "Le bail ne court pas en 07/2025"),
        ({"paid_on": D(2025, 6, 21)}, "paid_on", "ne peut pas être dans le futur"),
        ({"period": D(2026, 7, 1), "end": None}, "period", "un mois aussi lointain"),
        ({"method": PaymentMethod.CAF}, "method", "Choisissez le mode de paiement"),
    ],
)
def test_landlord_payment_validation(org_a, dispositif_a, head_a, changes, field, message):
    end = changes.pop("end", D(2025, 7, 1))
    main_lease = lease(org_a, unit(org_a, dispositif_a, "U-P"), end_date=end)
    data = {
        "period": JUNE,
        "paid_on": D(2025, 6, 20),
        "amount": "550",
        "method": PaymentMethod.VIREMENT,
        **changes,
    }
    with pytest.raises(ValidationError) as error:
        owners.landlord_payment_record(lease=main_lease, by=head_a.user, **data)
    assert message in " ".join(error.value.message_dict[field])
    assert not LandlordPayment.objects.exists()


def test_a_management_mandate_is_not_paid_by_the_operator(org_a, dispositif_a, head_a):
    mandate = lease(
        org_a, unit(org_a, dispositif_a, "U-M"), management_mode=ManagementMode.MANDAT_GESTION
    )
    with pytest.raises(ValidationError, match="mandat de gestion"):
        owners.landlord_payment_record(
            lease=mandate, period=JUNE, paid_on=JUNE, amount="10", method="virement",
            by=head_a.user,
        )  # fmt: skip
    assert not LandlordPayment.objects.exists()


def test_recording_a_payment_through_the_form(vacant, regisseur, members_a):
    page = html(regisseur.get(pay_url(vacant)))
    assert 'value="2025-06"' in page and 'value="2025-06-20"' in page
    assert "Aucun paiement enregistré pour ce bail" in page
    response = regisseur.post(
        pay_url(vacant),
        {
            "period": "2025-06",
            "paid_on": "2025-06-19",
            "amount": "550,00",
            "method": "virement",
            "reference": " VIR-0619 ",
        },
    )
    assert response.status_code == 302 and response["Location"] == STATEMENT
    payment = LandlordPayment.objects.get()
    assert (payment.lease, payment.period, payment.amount) == (vacant, JUNE, E("550.00"))
    assert (payment.reference, payment.created_by) == ("VIR-0619", members_a[Role.REGISSEUR].user)
    (message,) = get_messages(response.wsgi_request)
    assert "550,00" in str(message) and "06/2025" in str(message)
    assert "VIR-0619" in html(regisseur.get(pay_url(vacant)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "12,3x"}, "Montant invalide : saisissez par exemple 240,10."),
        ({"amount": "-5"}, "Un montant ne peut pas être négatif."),
        ({"paid_on": "2025-06-21"}, "La date ne peut pas être dans le futur."),
        ({"period": "2023-12"}, "Le bail ne court pas en 12/2023"),
        ({"period": "2025-13"}, "Mois invalide"),
        ({"method": "caf"}, "Sélectionnez un choix valide"),
        ({"amount": ""}, "Ce champ est obligatoire."),
        ({"paid_on": "1999-12-31"}, "Date invalide : avant 2000."),
    ],
)
def test_bad_payment_input_writes_nothing(vacant, regisseur, changes, message):
    data = {"period": "2025-06", "paid_on": "2025-06-19", "amount": "550", "method": "virement"}
    response = regisseur.post(pay_url(vacant), {**data, **changes})
    assert response.status_code == 200
    assert message in html(response)
    assert not LandlordPayment.objects.exists()


def test_the_yearly_summary_of_a_lease(vacant, head_a, regisseur):
    owners.landlord_payment_record(
        lease=vacant, period=JUNE, paid_on=JUNE, amount="500", method="virement", by=head_a.user
    )
    url = reverse("tenancy:owner_lease_year", kwargs={"lease": vacant.public_id})
    response = regisseur.get(url + "?annee=2025")
    months = response.context["months"]
    assert len(months) == 12 and all(m.lease is not None for m in months)
    june = months[5]
    assert (june.lease.owed, june.lease.paid, june.unpaid) == (E("550.00"), E("500.00"), E("50.00"))
    assert response.context["totals"]["owed"] == 12 * E("550.00")
    assert response.context["totals"]["called"] == E("300.00")
    assert regisseur.get(url + "?annee=abc").context["year"] == 2025


# --- Roles and isolation ----------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_roles(client, members_a, vacant, role):
    client.force_login(members_a[role].user)
    year_url = reverse("tenancy:owner_lease_year", kwargs={"lease": vacant.public_id})
    viewer = role != Role.ADMIN
    recorder = role in (Role.REGISSEUR, Role.HEAD)
    assert client.get(STATEMENT).status_code == (200 if viewer else 403)
    assert client.get(year_url).status_code == (200 if viewer else 403)
    assert client.get(pay_url(vacant)).status_code == (200 if recorder else 403)
    data = {"period": "2025-06", "paid_on": "2025-06-19", "amount": "550", "method": "virement"}
    assert client.post(pay_url(vacant), data).status_code == (302 if recorder else 403)
    assert LandlordPayment.objects.count() == (1 if recorder else 0)
    page = html(client.get(STATEMENT)) if viewer else ""
    assert (pay_url(vacant) in page) == recorder


def test_anonymous_visitors_are_sent_to_login(client, vacant):
    for url in (STATEMENT, pay_url(vacant)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.REGISSEUR, Role.HEAD, Role.SOCIAL_WORKER])
def test_another_organisation_sees_nothing_of_a(client, members_b, vacant, role):
    client.force_login(members_b[role].user)
    response = client.get(STATEMENT)
    assert response.status_code == 200 and "U-VAC" not in html(response)
    assert response.context["totals"]["owed"] == 0
    year_url = reverse("tenancy:owner_lease_year", kwargs={"lease": vacant.public_id})
    assert client.get(year_url).status_code == 404


@pytest.mark.parametrize("role", [Role.REGISSEUR, Role.HEAD])
def test_another_organisation_gets_404_on_a_lease(client, members_b, vacant, role):
    client.force_login(members_b[role].user)
    data = {"period": "2025-06", "paid_on": "2025-06-19", "amount": "550", "method": "virement"}
    assert client.get(pay_url(vacant)).status_code == 404
    assert client.post(pay_url(vacant), data).status_code == 404
    assert not LandlordPayment.objects.exists()
