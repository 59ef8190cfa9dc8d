"""Demo bank: the organisation's rent account and a statement of the last days — transfers
from present households (one quoting its contract, written at once; the others named, to
confirm on the reconciliation page), one nobody can place, a bank fee. Dates are relative to
today. Idempotent: nothing is added once the organisation has an account."""

from __future__ import annotations

import datetime

from django.utils import timezone

from banking.importing import statement_import
from banking.models import BankAccount
from households.models import HouseholdStatus
from tenancy.models import SubleaseContract
from tenancy.money import residual_rent

IBAN = "FR7630006000011234567890189"
MAPPING = {"date": "Date", "label": "Libellé", "amount": "Montant", "delimiter": ";",
           "date_format": "JJ/MM/AAAA"}  # fmt: skip


def seed(*, organisation, demo, dispositif, users) -> None:
    if BankAccount.objects.exists():
        return
    account = BankAccount.objects.create(label="Compte loyers", iban=IBAN, bic="AGRIFRPP")
    today = timezone.localdate()
    contracts = [
        c for c in SubleaseContract.objects.filter(
            unit__dispositif=dispositif, actual_end_date__isnull=True, cancelled_at__isnull=True
        ).select_related("household").order_by("reference")
        if c.household.status == HouseholdStatus.PRESENT
    ][:5]  # fmt: skip
    rows = ["Date;Libellé;Montant"]
    for number, contract in enumerate(contracts):
        day = max(contract.start_date, today - datetime.timedelta(days=6 - number))
        person = contract.household.persons.order_by("pk").first()
        residual = residual_rent(contract)
        amount = f"{residual or 50:.2f}".replace(".", ",")
        if number == 0:
            label = f"VIR SEPA LOYER {contract.reference}"
        else:
            label = f"VIR SEPA {person.last_name.upper()} {person.first_name.upper()} LOYER"
        rows.append(f"{day:%d/%m/%Y};{label};{amount}")
    rows.append(f"{today - datetime.timedelta(days=2):%d/%m/%Y};VIR SEPA M OU MME DUPONT;75,00")
    rows.append(f"{today - datetime.timedelta(days=1):%d/%m/%Y};FRAIS TENUE DE COMPTE;-8,50")
    statement_import(account=account, file_name="releve-demo.csv",
                     data="\n".join(rows).encode("utf-8"), by=users["regisseur"], fmt="csv",
                     mapping=MAPPING)  # fmt: skip
