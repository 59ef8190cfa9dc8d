"""The ledger stays append-only through the anonymisation: PostgreSQL accepts one UPDATE only,
``note`` and ``reference`` becoming the marker on an entry of an anonymised household, every
other column unchanged (tenancy.models.APPEND_ONLY)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from households.models import Household
from iml.codes import LedgerKind, PaymentMethod
from privacy.retention import anonymise
from tenancy.calls import OLD_EXIT_CREDIT, ledger_repair
from tenancy.models import ANONYMISED_TEXT, LedgerEntry
from tests.tenancy.factories import LedgerEntryFactory, SubleaseContractFactory

D = datetime.date
MARK = ANONYMISED_TEXT


@pytest.fixture
def entry(org_a, dispositif_a):
    contract = SubleaseContractFactory(
        organisation=org_a, unit__dispositif=dispositif_a, start_date=D(2023, 3, 1)
    )
    return LedgerEntryFactory(
        organisation=org_a, contract=contract, date=D(2023, 3, 5), kind=LedgerKind.AIDE,
        credit=Decimal("120.00"), method=PaymentMethod.VIREMENT,
        note="FSL pour Mme Zébulon-Témoin", reference="VIR Zébulon-Témoin 42",
    )  # fmt: skip


def mark_anonymised(entry):
    Household.objects.filter(pk=entry.contract.household_id).update(anonymised_at=timezone.now())


def refused(sql, params):
    with (
        pytest.raises(Exception, match="append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_the_text_of_a_household_not_anonymised_stays(entry):
    refused("UPDATE tenancy_ledgerentry SET note = %s WHERE id = %s", [MARK, entry.pk])
    refused("UPDATE tenancy_ledgerentry SET reference = %s WHERE id = %s", [MARK, entry.pk])
    entry.refresh_from_db()
    assert entry.note == "FSL pour Mme Zébulon-Témoin"


def test_an_anonymised_household_s_text_becomes_the_marker_and_nothing_else_changes(entry):
    mark_anonymised(entry)
    before = LedgerEntry.objects.values().get(pk=entry.pk)
    # Anything but the marker, or any other column, even alongside the marker: refused.
    refused("UPDATE tenancy_ledgerentry SET note = 'autre motif' WHERE id = %s", [entry.pk])
    refused("UPDATE tenancy_ledgerentry SET reference = '' WHERE id = %s", [entry.pk])
    for column, value in [
        ("credit", Decimal("1.00")), ("date", D(2023, 3, 6)), ("kind", LedgerKind.PAIEMENT),
        ("method", PaymentMethod.ESPECES), ("number", "2023-00001"), ("ref", "E-1"),
        ("created_at", timezone.now()), ("period", D(2023, 3, 1)),
    ]:  # fmt: skip
        refused(
            f"UPDATE tenancy_ledgerentry SET note = %s, {column} = %s WHERE id = %s",
            [MARK, value, entry.pk],
        )
    refused("DELETE FROM tenancy_ledgerentry WHERE id = %s", [entry.pk])
    assert LedgerEntry.objects.values().get(pk=entry.pk) == before

    # The one change allowed, by the ORM as the anonymisation makes it.
    LedgerEntry.objects.filter(pk=entry.pk).update(note=MARK, reference=MARK)
    after = LedgerEntry.objects.values().get(pk=entry.pk)
    assert (after["note"], after["reference"]) == (MARK, MARK)
    assert {k: v for k, v in after.items() if k not in ("note", "reference")} == {
        k: v for k, v in before.items() if k not in ("note", "reference")
    }
    # Still append-only afterwards.
    refused("UPDATE tenancy_ledgerentry SET credit = 1 WHERE id = %s", [entry.pk])
    refused("DELETE FROM tenancy_ledgerentry WHERE id = %s", [entry.pk])


def test_the_exit_credits_of_earlier_versions_stay_findable_by_their_repair(org_a, entry):
    """``repair_rent_calls`` finds them by their note, which the application wrote."""
    contract = entry.contract
    old_credit = LedgerEntryFactory(
        organisation=org_a, contract=contract, date=D(2023, 3, 20),
        kind=LedgerKind.REGULARISATION, credit=Decimal("50.00"), method="", number="",
        note=f"Départ le 20/03/2023 : {OLD_EXIT_CREDIT} (11 jours)",
    )  # fmt: skip
    anonymise(contract.household)
    entry.refresh_from_db()
    old_credit.refresh_from_db()
    assert (entry.note, entry.reference) == (MARK, MARK)
    assert OLD_EXIT_CREDIT in old_credit.note
    ledger_repair(contract=contract, today=D(2023, 3, 31))
    assert LedgerEntry.objects.filter(reverses=old_credit).exists()
