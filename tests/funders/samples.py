"""Organisation A's report submitted to its DDETS, for the isolation sweep
(tests/test_isolation_sweep.py): the ``submission`` keyword argument of the funder's URLs
(``/financeur/rapports/<submission>/…``). The ``version`` keyword argument of
``funders:submit_version`` is the reporting app's sample (tests/reporting/samples.py).

A dispositif of A of its own, funded by the DDETS of the Somme: A is in Saône-et-Loire (71),
the Somme's DDETS covers 80 only, so the report counts in 80, région 32 (Hauts-de-France).
Its names carry A's markers (``A_MARKERS``), its narrative too, so that a page, a PDF or a
workbook showing them to someone else is caught. The submission's table has no row-level
security: only the views' filters keep it from other organisations and other territories.
"""

from __future__ import annotations

import datetime
from typing import Any

from iml.models import Role
from tests.factories import DispositifFactory, MembershipFactory
from tests.funders.helpers import ddets, submitted

SUBMITTED_DEPARTEMENT = "80"
SUBMITTED_REGION = "32"
SUBMITTED_YEAR = 2025


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    head = MembershipFactory(
        organisation=organisation, role=Role.HEAD, user__email="transmission@alpha.example"
    ).user
    dispositif = DispositifFactory(
        organisation=organisation,
        code="IML-ALPHA-80",
        name="Dispositif Alpha de la Somme",
        places=15,
        ddets=ddets(SUBMITTED_DEPARTEMENT),
    )
    submission = submitted(
        dispositif,
        head,
        start=datetime.date(SUBMITTED_YEAR, 1, 1),
        end=datetime.date(SUBMITTED_YEAR, 12, 31),
        narrative={"mission": "Dispositif Alpha : loger et accompagner dans la Somme."},
    )
    return {"submission": submission.public_id, "_submission": submission}
