"""The demo: idempotent, every login reaches its dashboard, and it tells the same story
whatever the day it is created (a dozen dates across a year: the ledger, plans, alerts and
support are checked on each, the rent calls against an independent computation)."""

import calendar
import datetime
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from freezegun import freeze_time

from households.models import Household, HouseholdEvent, Person
from iml.demo import DEMO_PASSWORD, DEMO_SECOND_FACTOR, demo_logins, funder_logins
from iml.models import Dispositif, Membership, Organisation, User
from iml.scoping import organisation_context
from tenancy.models import LandlordPayment, LedgerEntry, RepaymentPlan, SubleaseContract

ORGANISATION_MODELS = [
    Membership, Household, Person, HouseholdEvent, SubleaseContract, LedgerEntry, RepaymentPlan,
    LandlordPayment,
]  # fmt: skip


def counts() -> Counter:
    """Rows per model; operators' rows are counted organisation by organisation."""
    totals = Counter({"Organisation": Organisation.objects.count(), "User": User.objects.count()})
    for organisation in Organisation.objects.all():
        with organisation_context(organisation):
            totals.update({model.__name__: model.objects.count() for model in ORGANISATION_MODELS})
    return totals


@pytest.mark.django_db
@pytest.mark.real_two_factor
@freeze_time("2026-12-07 10:00", tick=True)
def test_seed_demo_is_idempotent_and_every_login_reaches_its_dashboard(client):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    # Eight operators' accounts and five funders' agents (members of no operator).
    assert (first["Organisation"], first["User"], first["Membership"]) == (2, 13, 8)

    with organisation_context(Organisation.objects.get(slug="le-pont")):
        assert Household.objects.with_status_filter("present").count() == 11
        assert Household.objects.with_status_filter("oriented").count() == 3
        # The BPI service houses single men in shared flats (seed 000).
        assert not Person.objects.filter(role="enfant").exists()
        destinations = set(
            Household.objects.exclude(exit_destination="").values_list(
                "exit_destination", flat=True
            )
        )
        assert {"logement_social", "logement_accompagne", "tiers", "sans_adresse"} <= destinations
        bpi = Dispositif.objects.get()
        assert (bpi.code, bpi.places, bpi.report_start_month) == ("IML-BPI", 12, 1)
        # Every present household lives under a running sublease contract, in a room.
        running = SubleaseContract.objects.filter(actual_end_date__isnull=True)
        assert running.count() == 11 and not running.filter(room__isnull=True).exists()
        assert set(running.values_list("household__exit_date", flat=True)) == {None}
    with organisation_context(Organisation.objects.get(slug="apremis")):
        assert Household.objects.with_status_filter("present").count() == 17
        assert Person.objects.filter(role="enfant").exists()
        running = SubleaseContract.objects.filter(actual_end_date__isnull=True)
        assert running.count() == 17
        refugees = Dispositif.objects.get()
        assert (refugees.code, refugees.report_start_month) == ("IML-R", 11)
    for organisation in Organisation.objects.all():
        with organisation_context(organisation):
            _check_demo_ledger()
            _check_demo_support()
            _check_demo_alerts()

    for organisation, email, _ in demo_logins():
        client.logout()
        response = client.post(
            reverse("login"), {"username": email, "password": DEMO_PASSWORD}, follow=True
        )
        if response.redirect_chain[-1][0].startswith(reverse("two_factor_verify")):
            # Heads and admins: the documented demo code as second factor.
            response = client.post(
                reverse("two_factor_verify"), {"token": DEMO_SECOND_FACTOR}, follow=True
            )
        assert response.redirect_chain[-1][0] == reverse("dashboard"), email
        assert organisation in response.content.decode()

    # Funders' agents: the second factor always, then their own pages, with the demo's
    # submitted reports of their territory.
    for funder, email, _ in funder_logins():
        client.logout()
        response = client.post(
            reverse("login"), {"username": email, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0].startswith(reverse("two_factor_verify")), email
        response = client.post(
            reverse("two_factor_verify"), {"token": DEMO_SECOND_FACTOR}, follow=True
        )
        assert response.redirect_chain[-1][0] == reverse("funders:home"), email
        page = response.content.decode()
        assert funder in page
        if "Somme" in funder or "Hauts" in funder:
            assert "APREMIS" in page and "Le Pont" not in page
        if "Saône" in funder or "Bourgogne" in funder:
            assert "Le Pont" in page and "APREMIS" not in page


def _check_demo_ledger():
    """Rent calls, CAF and household payments; two households in debt under a plan, one of
    which has missed an instalment; payments to landlords."""
    from iml.codes import LedgerKind, RepaymentPlanStatus
    from tenancy.money import contract_balance
    from tenancy.plans import plan_schedule

    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert {LedgerKind.APPEL, LedgerKind.APL, LedgerKind.PAIEMENT, LedgerKind.AIDE} <= kinds
    plans = RepaymentPlan.objects.filter(status=RepaymentPlanStatus.ACTIF)
    assert plans.count() == 2
    assert all(contract_balance(plan.contract) > 0 for plan in plans)
    states = [s.status for plan in plans for s in plan_schedule(plan)]
    assert "honoree" in states and "a_venir" in states
    assert LandlordPayment.objects.exists()
    # Households staying past their term were renewed; past 18 months, with a justification.
    from tenancy.models import Amendment

    assert Amendment.objects.filter(beyond_limit=False).exists()
    assert not Amendment.objects.filter(beyond_limit=True, justification="").exists()


def _check_demo_support():
    """Every household that entered has visits (some missed) and referrals; a workshop; the
    support contracts; one household without contact for weeks."""
    from django.utils import timezone

    from alerts.attention import my_households
    from support.models import Interaction, Referral, SupportContract, Workshop

    entered = Household.objects.filter(entry_date__isnull=False)
    assert SupportContract.objects.count() >= entered.count() - 1
    assert not entered.exclude(interactions__isnull=False).exists()
    kinds = set(Interaction.objects.values_list("kind", flat=True))
    assert {"visite_domicile", "rdv_non_honore", "rdv_bureau"} <= kinds
    assert Workshop.objects.exists() and Referral.objects.exists()
    rows = list(my_households(None))
    today = timezone.localdate()
    assert any(h.last_contact and (today - h.last_contact).days > 42 for h in rows)
    assert any(h.next_appointment for h in rows)


def _check_demo_alerts():
    """A realistic set of open alerts: milestones, debts, a missed instalment, silence."""
    from alerts.models import Alert, AlertKind

    kinds = set(Alert.objects.exclude(status="resolue").values_list("kind", flat=True))
    assert {AlertKind.DEBT, AlertKind.NO_CONTACT, AlertKind.INSTALMENT} <= kinds
    assert len(kinds) >= 3


# A year of days on which the demo may be created: month ends and starts, 1 January,
# 29 February, 31 December, and a few plain days. The demo's households are dated from 2023
# to November 2026, its money relative to today.
DEMO_DAYS = [
    "2026-12-07", "2026-12-31", "2027-01-01", "2027-01-31", "2027-02-28", "2027-03-01",
    "2027-05-15", "2027-06-30", "2027-09-01", "2027-10-31", "2027-12-31", "2028-02-29",
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("day", DEMO_DAYS)
def test_the_demo_tells_the_same_story_any_day(day, monkeypatch):
    # The story of the households and their money; the funder's side (four report versions
    # built with their PDF) is seeded by the test above, once.
    monkeypatch.setattr("funders.demo.seed", lambda **kwargs: None)
    with freeze_time(f"{day} 09:00"):
        call_command("seed_demo")
        for organisation in Organisation.objects.all():
            with organisation_context(organisation):
                _check_demo_ledger()
                _check_demo_support()
                _check_demo_alerts()
                _check_rent_calls_follow_the_days_lived(datetime.date.fromisoformat(day))
                _check_report_rent_against_the_ledger(datetime.date.fromisoformat(day))


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _owed(contract, year: int, month: int) -> Decimal | None:
    """Rent and charges of the days ``contract`` covered in the month, computed here from the
    calendar (None: not a day)."""
    days_in_month = calendar.monthrange(year, month)[1]
    first, after = datetime.date(year, month, 1), datetime.date(year, month, days_in_month)
    after += datetime.timedelta(days=1)
    end = min(contract.actual_end_date or after, after)
    days = (end - max(contract.start_date, first)).days
    if days <= 0:
        return None
    return _cents(contract.rent * days / days_in_month) + _cents(
        contract.charges * days / days_in_month
    )


def _check_rent_calls_follow_the_days_lived(today: datetime.date):
    """Every begun month a contract covered has one live call of exactly its days; no other
    month has one."""
    reversed_ids = set(
        LedgerEntry.objects.filter(kind="annulation").values_list("reverses_id", flat=True)
    )
    live: dict[tuple[int, datetime.date], list[Decimal]] = {}
    for pk, contract_id, period, debit in LedgerEntry.objects.filter(kind="appel").values_list(
        "pk", "contract_id", "period", "debit"
    ):
        if pk not in reversed_ids:
            live.setdefault((contract_id, period), []).append(debit)
    expected = {}
    for contract in SubleaseContract.objects.all():
        year, month = contract.start_date.year, contract.start_date.month
        while datetime.date(year, month, 1) <= today:
            owed = _owed(contract, year, month)
            if owed:
                expected[(contract.pk, datetime.date(year, month, 1))] = [owed]
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    assert live == expected


def _check_report_rent_against_the_ledger(today: datetime.date):
    """The report's rent figures of the last complete period equal sums of the raw ledger
    rows, each reversal counted under the kind it reverses, on its own date."""
    from reporting.compute import compute_report
    from reporting.services import default_period

    dispositif = Dispositif.objects.get()
    start, end = default_period(dispositif, today)
    kinds = dict(LedgerEntry.objects.values_list("pk", "kind"))
    sums = {"appel": Decimal(0), "paiement": Decimal(0), "apl": Decimal(0), "aide": Decimal(0)}
    rows = LedgerEntry.objects.filter(date__range=(start, end)).values_list(
        "kind", "debit", "credit", "reverses_id"
    )
    for kind, debit, credit, reverses_id in rows:
        if kind == "annulation":
            target = kinds[reverses_id]
            if target in sums:
                sums[target] -= debit + credit
        elif kind in sums:
            sums[kind] += debit + credit
    rent = compute_report(dispositif, start, end)["rent"]
    assert rent["called"] == f"{sums['appel']:.2f}"
    assert rent["paid_by_household"] == f"{sums['paiement']:.2f}"
    assert rent["paid_by_caf"] == f"{sums['apl']:.2f}"
    assert rent["paid_by_aids"] == f"{sums['aide']:.2f}"
