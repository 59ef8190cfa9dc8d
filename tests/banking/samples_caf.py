"""Organisation A's banking objects (caf) for the isolation sweep
(tests/test_isolation_sweep.py): a CAF bank line (``caf_line``), the CAF's detail of it
(``notice``) and one of its rows (``row``), the row naming A's sample household."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from banking.codes import CafRowStatus, LineStatus
from banking.models import CafNotice, CafNoticeRow
from tests.banking.factories import BankAccountFactory, BankLineFactory


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    contract = base["_contract"]
    line = BankLineFactory(
        statement__account=BankAccountFactory(organisation=organisation),
        booked_on=datetime.date(2025, 3, 5),
        amount=Decimal("250.00"),
        label="VIR CAF DE SAONE ET LOIRE PRESTATIONS 02/2025",
        status=LineStatus.PROPOSED,
    )
    notice = CafNotice.objects.create(
        organisation=organisation, line=line, month=datetime.date(2025, 2, 1),
        file_name="caf_detail_alpha.csv",
    )  # fmt: skip
    row = CafNoticeRow.objects.create(
        organisation=organisation, notice=notice, allocataire="1234567",
        name="ALPHA ZOE", period=datetime.date(2025, 2, 1), amount=Decimal("250.00"),
        household=contract.household, contract=contract, expected=Decimal("250.00"),
        status=CafRowStatus.OK,
    )  # fmt: skip
    return {"caf_line": line.public_id, "notice": notice.public_id, "row": row.public_id}
