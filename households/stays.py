"""The length of a household's stay: the 2018 instruction's "six mois renouvelables au
maximum deux fois". Sublease and support contracts are renewed under the same rule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db.models import DateField, F, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce

from iml.scoping import OrganisationScopedQuerySet

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager

RENEWAL = 6  # months, by default
STAY_LIMIT_MONTHS = 18
STAY_LIMIT = relativedelta(months=STAY_LIMIT_MONTHS)


def present_on(
    entry: datetime.date | None, exit_: datetime.date | None, day: datetime.date
) -> bool:
    """Whether a household entered on ``entry`` (None: not yet) and leaving on ``exit_`` (the
    first day out; None: still there) is present in the dispositif on ``day``."""
    return entry is not None and entry <= day and (exit_ is None or day < exit_)


def beyond_limit(new_end: datetime.date, entry: datetime.date) -> bool:
    """Whether a contract ending on ``new_end`` takes the stay begun on ``entry`` beyond the
    limit (18 months): such a renewal needs a written justification and is flagged."""
    limit: datetime.date = entry + STAY_LIMIT
    return new_end > limit


def months_of_stay(entry: datetime.date, day: datetime.date) -> int:
    """Completed months from ``entry`` to ``day``, as ``relativedelta`` counts them (entered on
    31 August, a term ending on 28 February has completed five months and 28 days)."""
    delta = relativedelta(day, entry)
    months: int = delta.years * 12 + delta.months
    return months


# SQL twin of ``months_of_stay`` (PostgreSQL's age() counts months as relativedelta does).
MONTHS_OF_STAY_SQL = (
    "(extract(year FROM age({end}, {entry})) * 12 + extract(month FROM age({end}, {entry})))::int"
)


class TermQuerySet(OrganisationScopedQuerySet):
    """Contracts whose term is renewed by numbered amendments (sublease and support)."""

    def with_current_end(self) -> TermQuerySet:
        """Annotates ``current_end``: the last amendment's new end, else the initial end."""
        amendments = self.model._meta.get_field("amendments").related_model
        last = (
            amendments.all_organisations.filter(contract=OuterRef("pk"))
            .order_by("-number")
            .values("new_end_date")[:1]
        )
        annotated: TermQuerySet = self.annotate(
            current_end=Coalesce(Subquery(last, output_field=DateField()), F("initial_end_date"))
        )
        return annotated


class TermContract(Protocol):
    """A sublease or support contract, as ``current_end`` reads it (their apps, tenancy and
    support, are above this one)."""

    @property
    def initial_end_date(self) -> datetime.date: ...

    @property
    def amendments(self) -> RelatedManager[Any]: ...

    @property
    def organisation_id(self) -> int: ...


def current_end(contract: TermContract) -> datetime.date:
    """The end of a (sublease or support) contract's current term: its last amendment's, else
    the initial one."""
    last = contract.amendments.order_by("-number").first()
    end: datetime.date = last.new_end_date if last else contract.initial_end_date
    return end


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
    new_end: datetime.date = current_end + relativedelta(months=months)
    beyond = beyond_limit(new_end, entry)
    justification = justification.strip()
    if beyond and not justification:
        raise ValidationError({"justification": beyond_message})
    return Renewal(new_end=new_end, beyond_limit=beyond, justification=justification)


AmendmentT = TypeVar("AmendmentT", bound=Model)


def renew_by_amendment(
    contract: TermContract,
    *,
    amendment_model: type[AmendmentT],
    signed_on: datetime.date,
    starts_on: datetime.date,
    entry: datetime.date,
    months: int,
    justification: str,
    beyond_message: str,
    by: Model,
) -> AmendmentT:
    """The next numbered amendment of a (sublease or support) contract, locked by the caller:
    ``months`` more from its current end, justified beyond 18 months of stay from ``entry``."""
    if not 1 <= months <= 12:
        raise ValidationError({"months": "Un avenant prolonge de 1 à 12 mois."})
    if signed_on < starts_on:
        raise ValidationError({"signed_on": "L’avenant ne peut précéder le contrat."})
    renewed = renewal(
        current_end=current_end(contract),
        entry=entry,
        months=months,
        justification=justification,
        beyond_message=beyond_message,
    )
    amendment = amendment_model(
        organisation_id=contract.organisation_id,
        contract=contract,
        number=contract.amendments.count() + 1,
        signed_on=signed_on,
        new_end_date=renewed.new_end,
        beyond_limit=renewed.beyond_limit,
        justification=renewed.justification,
        created_by=by,
    )
    amendment.full_clean()
    amendment.save()
    return amendment
