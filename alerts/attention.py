"""« Mes ménages »: a social worker's present households, the most urgent first, flagged by
the alert job's rules with the dispositif's thresholds (``Dispositif.alert_*``): no contact
for N weeks (a missed appointment is not one), support contract to sign N days after entry,
ends of the current terms N days ahead, the money module's "in debt" rule.

It composes support (contacts, support contracts) and tenancy (sublease terms, balances),
hence its place here, above both."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import (
    Aggregate,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from households.models import Household
from households.stays import TermQuerySet
from iml.models import User
from support.models import Interaction, SupportContract
from tenancy.models import SubleaseContract
from tenancy.money import balance_subquery, in_debt_contracts

if TYPE_CHECKING:
    from django.db.models import Model
    from django_stubs_ext import WithAnnotations

FAR = datetime.date(9999, 12, 31)


class Attention(TypedDict):
    """What ``my_households`` annotates on each household."""

    last_contact: datetime.date | None
    next_appointment: datetime.datetime | None
    support_signed: datetime.date | None
    support_end: datetime.date | None
    sublease_end: datetime.date | None
    balance: Decimal
    in_debt: bool
    no_contact_due: datetime.date
    signature_due: datetime.date
    warning_days: int
    attention: datetime.date


def plus_days(day: Combinable, days: Combinable) -> Func:
    """``date + n`` in SQL, ``n`` an expression: a date (``+ interval`` makes a timestamp)."""
    return Func(day, days, template="(%(expressions)s)", arg_joiner=" + ", output_field=DateField())


def _latest(queryset: QuerySet[Model], field: str, aggregate: type[Aggregate] = Max) -> Subquery:
    return Subquery(
        queryset.order_by().values("household").annotate(v=aggregate(field)).values("v")[:1]
    )


def _current_end(contracts: TermQuerySet) -> Subquery:
    return Subquery(
        contracts.with_current_end().values("current_end")[:1], output_field=DateField()
    )


def my_households(
    user: User | None, today: datetime.date | None = None
) -> QuerySet[WithAnnotations[Household, Attention]]:
    """Present households (of ``user`` as referent, or all with None), each with its last
    contact, next appointment, support and sublease ends, balance and the dates at which each
    rule calls for action; the most urgent first."""
    today = today or timezone.localdate()
    households = Household.objects.present_at(today)
    if user is not None:
        households = households.filter(referent=user)
    of_household = {"household": OuterRef("pk")}
    interactions = Interaction.objects.filter(**of_household)
    support = SupportContract.objects.filter(**of_household)
    running = SubleaseContract.objects.filter(actual_end_date__isnull=True, **of_household)
    threshold = "dispositif__alert_"
    households = households.annotate(
        last_contact=_latest(interactions.contacts(), "date"),
        next_appointment=_latest(
            interactions.filter(next_appointment__gte=timezone.now()), "next_appointment", Min
        ),
        support_signed=_latest(support, "signed_on"),
        support_end=_current_end(support),
        sublease_end=_current_end(running),
        balance=balance_subquery("contract__household"),
        in_debt=Exists(in_debt_contracts(today).filter(in_debt=True, household=OuterRef("pk"))),
        no_contact_due=plus_days(
            Coalesce(F("last_contact"), F("entry_date")),
            ExpressionWrapper(F(f"{threshold}no_contact_weeks") * 7, IntegerField()),
        ),
        signature_due=plus_days(F("entry_date"), F(f"{threshold}signature_days")),
        warning_days=F(f"{threshold}warning_days"),
    )
    far = Value(FAR, output_field=DateField())
    households = households.annotate(
        attention=Least(
            F("no_contact_due"),
            # Signed: the end of the support contract's term; not yet: the signature's due date.
            Coalesce(F("support_end"), F("signature_due")),
            Coalesce(F("sublease_end"), far),
            output_field=DateField(),
        )
    )
    # The annotations above, which the ORM's types do not follow.
    return cast(
        "QuerySet[WithAnnotations[Household, Attention]]",
        households.select_related("dispositif").order_by("attention", "reference"),
    )


def attention_flags(
    household: WithAnnotations[Household, Attention], today: datetime.date
) -> list[str]:
    """The flags of one row of ``my_households``: the alert job's rules on the same dates."""
    flags = []
    weeks = household.dispositif.alert_no_contact_weeks
    if today >= household.no_contact_due:
        flags.append(f"pas de contact depuis {weeks} semaines ou plus")
    ahead = today + datetime.timedelta(days=household.warning_days)
    if household.support_signed is None:
        late = today > household.signature_due
        flags.append("contrat d’accompagnement à signer" + (" (en retard)" if late else ""))
    elif household.support_end and household.support_end <= ahead:
        flags.append("renouvellement de l’accompagnement")
    if household.sublease_end and household.sublease_end <= ahead:
        flags.append("fin de la sous-location")
    if household.in_debt:
        flags.append("impayé")
    return flags
