"""The length of a household's stay: the 2018 instruction's "six mois renouvelables au
maximum deux fois". Sublease and support contracts are renewed under the same rule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

RENEWAL = 6  # months, by default
STAY_LIMIT = relativedelta(months=18)


@dataclass(frozen=True)
class Renewal:
    new_end: datetime.date
    beyond_limit: bool
    justification: str


def renewal(
    *,
    current_end: datetime.date,
    entry: datetime.date,
    months: int,
    justification: str,
    beyond_message: str,
) -> Renewal:
    """The new end of a contract renewed by ``months``. The stay is counted from the
    household's entry: beyond 18 months a written justification is required (refused with
    ``beyond_message`` without one) and the amendment is flagged."""
    new_end = current_end + relativedelta(months=months)
    beyond = new_end > entry + STAY_LIMIT
    justification = justification.strip()
    if beyond and not justification:
        raise ValidationError({"justification": beyond_message})
    return Renewal(new_end=new_end, beyond_limit=beyond, justification=justification)
