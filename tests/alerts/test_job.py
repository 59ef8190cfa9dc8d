"""The daily alert job, walked through time: a household entering on 2024-01-15 gets its
6-month sublease warning on 2024-06-15, due on 2024-07-15, overdue after, cleared by an
amendment; debts appear and clear with payments; a missed instalment; the support contract
to sign; six weeks without contact. Idempotent, also with two jobs at once and a real worker."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from alerts.job import sync_alerts, sync_all
from alerts.models import Alert, AlertKind
from alerts.tasks import sync_alerts_daily
from households.models import Household
from iml.codes import InteractionType, PaymentMethod, SupportDomain
from iml.models import Role
from iml.rls import organisation_transaction
from support.contracts import support_contract_renew as support_renew
from support.interactions import interaction_log
from support.models import SupportContract
from tenancy import ledger
from tenancy.calls import issue_rent_calls
from tenancy.models import SubleaseContract
from tenancy.plans import plan_create
from tenancy.services import contract_renew
from tests.factories import DispositifFactory, OrganisationFactory
from tests.households.factories import HouseholdFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date
E = Decimal


@pytest.fixture
def world(org_a, dispositif_a, members_a):
    worker = members_a[Role.SOCIAL_WORKER].user
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, reference="H-1",
                                 orientation_date=D(2023, 12, 1), entry_date=D(2024, 1, 15),
                                 referent=worker)  # fmt: skip
    contract = SubleaseContractFactory(organisation=org_a, household=household,
                                       unit__dispositif=dispositif_a, start_date=D(2024, 1, 15),
                                       rent=E("400"), charges=E("50"),
                                       expected_housing_benefit=E("250"))  # fmt: skip
    return {"org": org_a, "household": household, "contract": contract, "worker": worker,
            "regisseur": members_a[Role.REGISSEUR].user, "dispositif": dispositif_a}  # fmt: skip


def alerts(kind, **filters):
    return list(Alert.objects.filter(kind=kind, **filters).order_by("milestone"))


def state(kind):
    return [(a.milestone, a.level, a.status) for a in alerts(kind)]


def test_sublease_milestone_warning_due_overdue_then_resolved_by_an_amendment(world):
    org = world["org"]
    sync_alerts(org, D(2024, 6, 14))
    assert state(AlertKind.SUBLEASE_RENEWAL) == []
    sync_alerts(org, D(2024, 6, 15))
    assert state(AlertKind.SUBLEASE_RENEWAL) == [("6", "warning", "ouverte")]
    alert = alerts(AlertKind.SUBLEASE_RENEWAL)[0]
    assert alert.due_date == D(2024, 7, 15) and alert.assignee_role == Role.REGISSEUR
    assert alert.assignee is None and alert.household == world["household"]
    Alert.objects.filter(pk=alert.pk).update(status="vue")
    assert sync_alerts(org, D(2024, 6, 20)).created == 0
    assert state(AlertKind.SUBLEASE_RENEWAL) == [("6", "warning", "vue")]  # unchanged
    sync_alerts(org, D(2024, 7, 15))
    assert state(AlertKind.SUBLEASE_RENEWAL) == [("6", "due", "ouverte")]  # escalated: reopened
    sync_alerts(org, D(2024, 7, 16))
    assert state(AlertKind.SUBLEASE_RENEWAL) == [("6", "overdue", "ouverte")]
    contract_renew(contract=world["contract"], signed_on=D(2024, 7, 16), by=world["regisseur"])
    result = sync_alerts(org, D(2024, 7, 17))
    assert state(AlertKind.SUBLEASE_RENEWAL) == [("6", "overdue", "resolue")]
    assert result.resolved >= 1
    # The 12-month decision comes next, a month before 2025-01-15.
    sync_alerts(org, D(2024, 12, 16))
    assert ("12", "warning", "ouverte") in state(AlertKind.SUBLEASE_RENEWAL)


def test_the_job_run_twice_changes_nothing(world):
    org = world["org"]
    first = sync_alerts(org, D(2024, 7, 20))
    assert first.created >= 3  # sublease, support signature, no contact
    rows = list(Alert.objects.values_list("pk", "level", "status", "updated_at"))
    second = sync_alerts(org, D(2024, 7, 20))
    assert (second.created, second.updated, second.resolved) == (0, 0, 0)
    assert list(Alert.objects.values_list("pk", "level", "status", "updated_at")) == rows


def test_support_contract_to_sign_then_signed(world):
    org, household = world["org"], world["household"]
    sync_alerts(org, D(2024, 2, 6))
    assert state(AlertKind.SUPPORT_SIGNATURE) == []
    sync_alerts(org, D(2024, 2, 7))  # a week before the 30th day
    assert state(AlertKind.SUPPORT_SIGNATURE) == [("signature", "warning", "ouverte")]
    alert = alerts(AlertKind.SUPPORT_SIGNATURE)[0]
    assert alert.assignee == world["worker"] and alert.due_date == D(2024, 2, 14)
    sync_alerts(org, D(2024, 2, 20))
    assert state(AlertKind.SUPPORT_SIGNATURE) == [("signature", "overdue", "ouverte")]
    SupportContract.objects.create(
        household=household, signed_on=D(2024, 2, 20), initial_end_date=D(2024, 8, 20),
        referent=world["worker"],
    )  # fmt: skip
    sync_alerts(org, D(2024, 2, 21))
    assert state(AlertKind.SUPPORT_SIGNATURE) == [("signature", "overdue", "resolue")]
    # Its term ends on 2024-08-20 (seven completed months of stay), not six months after
    # entry: the warning comes 30 days before that end.
    sync_alerts(org, D(2024, 7, 20))
    assert state(AlertKind.SUPPORT_RENEWAL) == []
    sync_alerts(org, D(2024, 7, 21))
    assert state(AlertKind.SUPPORT_RENEWAL) == [("7", "warning", "ouverte")]
    assert alerts(AlertKind.SUPPORT_RENEWAL)[0].due_date == D(2024, 8, 20)


def test_no_contact_for_six_weeks_and_missed_appointments_do_not_count(world):
    org, household, worker = world["org"], world["household"], world["worker"]
    interaction_log(household=household, date=D(2024, 2, 1), kind=InteractionType.RDV_BUREAU,
                    domains=[SupportDomain.LOGEMENT], by=worker)  # fmt: skip
    sync_alerts(org, D(2024, 3, 13))
    assert state(AlertKind.NO_CONTACT) == []
    interaction_log(household=household, date=D(2024, 3, 10),
                    kind=InteractionType.RDV_NON_HONORE, by=worker)  # fmt: skip
    sync_alerts(org, D(2024, 3, 14))  # 6 weeks after 2024-02-01
    assert state(AlertKind.NO_CONTACT) == [("2024-02-01", "due", "ouverte")]
    assert alerts(AlertKind.NO_CONTACT)[0].assignee == worker
    interaction_log(household=household, date=D(2024, 3, 20), kind=InteractionType.TELEPHONE,
                    domains=[SupportDomain.SANTE], by=worker)  # fmt: skip
    sync_alerts(org, D(2024, 3, 21))
    assert state(AlertKind.NO_CONTACT) == [("2024-02-01", "due", "resolue")]
    sync_alerts(org, D(2024, 5, 1))  # six weeks after 2024-03-20: a new silence
    assert state(AlertKind.NO_CONTACT)[-1] == ("2024-03-20", "due", "ouverte")


def pay(contract, day, amount, user, method=PaymentMethod.VIREMENT):
    return ledger.payment_record(contract=contract, date=day, amount=amount, method=method,
                                 by=user)  # fmt: skip


def test_debt_appears_clears_with_a_payment_and_comes_back(world):
    org, contract, user = world["org"], world["contract"], world["regisseur"]
    SubleaseContract.objects.filter(pk=contract.pk).update(start_date=D(2024, 3, 1))
    contract.refresh_from_db()
    issue_rent_calls(organisation_id=org.pk, months=[D(2024, 3, 1)])
    ledger.caf_confirm(month=D(2024, 3, 1), received={contract: E("250")}, date=D(2024, 3, 5),
                       by=user)  # fmt: skip
    sync_alerts(org, D(2024, 3, 6))  # owes 200: one month of residual rent (450 - 250)
    assert state(AlertKind.DEBT) == [("dette", "due", "ouverte")]
    pay(contract, D(2024, 3, 8), "200", user)
    sync_alerts(org, D(2024, 3, 9))
    assert state(AlertKind.DEBT) == [("dette", "due", "resolue")]
    issue_rent_calls(organisation_id=org.pk, months=[D(2024, 4, 1), D(2024, 5, 1)])
    sync_alerts(org, D(2024, 5, 2))  # 900 owed: more than twice the threshold
    assert state(AlertKind.DEBT) == [("dette", "overdue", "ouverte")]


def test_two_rent_calls_without_a_household_payment(world):
    org, contract, user = world["org"], world["contract"], world["regisseur"]
    world["dispositif"].alert_debt_months = E("5")  # the balance rule stays silent
    world["dispositif"].save()
    SubleaseContract.objects.filter(pk=contract.pk).update(start_date=D(2024, 3, 1))
    issue_rent_calls(organisation_id=org.pk, months=[D(2024, 3, 1)])
    pay(contract, D(2024, 3, 2), "440", user)  # 10 short
    issue_rent_calls(organisation_id=org.pk, months=[D(2024, 4, 1)])
    ledger.caf_confirm(month=D(2024, 4, 1), received={contract: E("250")}, date=D(2024, 4, 5),
                       by=user)  # fmt: skip
    sync_alerts(org, D(2024, 4, 6))
    assert state(AlertKind.DEBT) == []  # one call since the last payment
    issue_rent_calls(organisation_id=org.pk, months=[D(2024, 5, 1)])
    sync_alerts(org, D(2024, 5, 2))
    assert state(AlertKind.DEBT) == [("dette", "due", "ouverte")]


def test_missed_instalment_more_than_ten_days_late(world):
    org, contract, user = world["org"], world["contract"], world["regisseur"]
    issue_rent_calls(organisation_id=org.pk,
                            months=[D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)])  # fmt: skip
    plan = plan_create(contract=contract, signed_on=D(2024, 3, 2), instalment="300",
                       first_due_date=D(2024, 3, 10), by=user)  # fmt: skip
    sync_alerts(org, D(2024, 3, 20))  # ten days of grace
    assert state(AlertKind.INSTALMENT) == []
    sync_alerts(org, D(2024, 3, 21))
    assert state(AlertKind.INSTALMENT) == [("1", "overdue", "ouverte")]
    assert alerts(AlertKind.INSTALMENT)[0].subject_id == plan.pk
    pay(contract, D(2024, 3, 22), "300", user)  # late, but paid
    sync_alerts(org, D(2024, 3, 23))
    assert state(AlertKind.INSTALMENT) == [("1", "overdue", "resolue")]


@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_create_each_alert_once():
    org = OrganisationFactory(slug="alerts-concurrent")
    dispositif = DispositifFactory(organisation=org)
    for n in range(15):
        HouseholdFactory(organisation=org, dispositif=dispositif, reference=f"H-{n}",
                         orientation_date=D(2023, 12, 1), entry_date=D(2024, 1, 15))  # fmt: skip
    barrier = threading.Barrier(2)
    errors = []

    def job():
        try:
            barrier.wait(10)
            sync_all(D(2024, 7, 20))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with organisation_transaction(org):
        # Per household: the support contract to sign and six weeks without contact.
        assert Alert.objects.count() == 30


@pytest.mark.celery_worker
def test_a_real_worker_runs_the_job_and_a_second_run_is_a_no_op(worker):
    org = OrganisationFactory(slug="alerts-worker")
    dispositif = DispositifFactory(organisation=org)
    HouseholdFactory(organisation=org, dispositif=dispositif, orientation_date=D(2023, 12, 1),
                     entry_date=D(2024, 1, 15))  # fmt: skip
    first = sync_alerts_daily.delay("2024-07-20").get(timeout=60)
    second = sync_alerts_daily.delay("2024-07-20").get(timeout=60)
    assert first["created"] == 2 and second == {"created": 0, "updated": 0, "resolved": 0}


def test_a_term_that_is_not_a_six_month_milestone(world):
    """The issue's case: a support contract signed a week after entry and renewed by an
    amendment ends on 10 December; it is announced before it lapses, whatever the months."""
    org, household, worker = world["org"], world["household"], world["worker"]
    contract = SupportContract.objects.create(
        household=household, signed_on=D(2024, 1, 22), initial_end_date=D(2024, 7, 22),
        referent=worker,
    )  # fmt: skip
    support_renew(contract=contract, signed_on=D(2024, 7, 1), months=5, by=worker)
    contract.amendments.update(new_end_date=D(2024, 12, 10))  # as typed on the amendment
    sync_alerts(org, D(2024, 11, 9))
    assert state(AlertKind.SUPPORT_RENEWAL) == []
    sync_alerts(org, D(2024, 11, 10))  # 30 days before the term's end
    [alert] = alerts(AlertKind.SUPPORT_RENEWAL)
    assert (alert.milestone, alert.level, alert.due_date) == ("10", "warning", D(2024, 12, 10))
    assert alert.assignee == worker
    assert alert.title == (
        "Fin du terme de l’accompagnement (10 mois de séjour) : renouvellement à décider"
    )
    sync_alerts(org, D(2024, 12, 10))
    assert state(AlertKind.SUPPORT_RENEWAL) == [("10", "due", "ouverte")]
    sync_alerts(org, D(2024, 12, 11))
    assert state(AlertKind.SUPPORT_RENEWAL) == [("10", "overdue", "ouverte")]
    # Renewed to 10 August 2025, beyond 18 months of stay: justified, and its own alert later.
    support_renew(contract=contract, signed_on=D(2024, 12, 11), months=8, by=worker,
                  justification="Relogement attendu en juillet.")  # fmt: skip
    sync_alerts(org, D(2024, 12, 12))
    assert state(AlertKind.SUPPORT_RENEWAL) == [("10", "overdue", "resolue")]
    sync_alerts(org, D(2025, 7, 11))
    limit = [a for a in alerts(AlertKind.SUPPORT_RENEWAL) if a.status == "ouverte"]
    assert [(a.milestone, a.due_date) for a in limit] == [("18", D(2025, 8, 10))]
    assert limit[0].title.startswith("Limite des 18 mois de séjour (accompagnement)")


def test_an_ended_stay_has_no_renewal_alert(world):
    org, household = world["org"], world["household"]
    sync_alerts(org, D(2024, 7, 16))
    assert state(AlertKind.SUBLEASE_RENEWAL) == [("6", "overdue", "ouverte")]
    Household.objects.filter(pk=household.pk).update(exit_date=D(2024, 7, 16))
    sync_alerts(org, D(2024, 7, 17))
    assert state(AlertKind.SUBLEASE_RENEWAL) == [("6", "overdue", "resolue")]
