"""Interactions: the quick log, "my households" sorted by what needs attention, and the
household timeline whose notes only social workers and heads read."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from alerts.attention import my_households
from households.timeline import household_timeline
from iml.codes import InteractionType, PaymentMethod, PersonRole, SupportDomain
from iml.models import Role
from support.interactions import interaction_log
from support.models import Interaction
from tenancy import ledger
from tenancy.calls import issue_calls_to_date
from tests.conftest import login
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.support.factories import ReferralFactory, SupportContractFactory
from tests.tenancy.factories import SubleaseContractFactory

D = datetime.date
SECRET = "Évoque des difficultés avec son titre de séjour"


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20 10:00"):
        yield


@pytest.fixture
def household(org_a, dispositif_a, social_worker_a):
    household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True,
                                 referent=social_worker_a.user, reference="M-KEITA")  # fmt: skip
    PersonFactory(organisation=org_a, household=household, first_name="Amina",
                  role=PersonRole.REFERENT)  # fmt: skip
    PersonFactory(organisation=org_a, household=household, first_name="Issa",
                  role=PersonRole.ENFANT, birth_date=D(2016, 2, 1))  # fmt: skip
    return household


def log(household, user, **fields):
    values = {"date": D(2025, 6, 19), "kind": InteractionType.VISITE_DOMICILE,
              "domains": [SupportDomain.LOGEMENT]} | fields  # fmt: skip
    return interaction_log(household=household, by=user, **values)


# --- The service ----------------------------------------------------------------------------


def test_interaction_counts_its_author_and_the_persons_present(household, social_worker_a,
                                                               members_a):  # fmt: skip
    colleague = members_a[Role.REGISSEUR].user
    amina = household.persons.get(first_name="Amina")
    appointment = timezone.make_aware(datetime.datetime(2025, 7, 3, 14))
    interaction = log(household, social_worker_a.user, kind=InteractionType.VISITE_CONJOINTE,
                      persons=[amina], staff=[colleague], duration_minutes=45, notes=SECRET,
                      next_appointment=appointment)  # fmt: skip
    assert set(interaction.staff.all()) == {social_worker_a.user, colleague}
    assert list(interaction.persons.all()) == [amina]
    assert interaction.organisation_id == household.organisation_id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date": D(2025, 6, 21)}, "futur"),
        ({"date": D(2024, 12, 1)}, "pas encore orienté"),
        ({"kind": "pique-nique"}, "Type d’échange inconnu"),
        ({"domains": ["cuisine"]}, "Domaine inconnu"),
        ({"duration_minutes": 0}, "1 à 720"),
        ({"next_appointment": datetime.datetime(2025, 6, 19, 9, tzinfo=datetime.UTC)}, "suivre"),
    ],
)
def test_a_bad_interaction_is_refused_and_writes_nothing(household, social_worker_a, fields,
                                                         message):  # fmt: skip
    with pytest.raises(ValidationError, match=message):
        log(household, social_worker_a.user, **fields)
    assert not Interaction.objects.exists()


def test_persons_and_staff_must_be_of_this_household_and_team(household, social_worker_a, org_a,
                                                              members_b):  # fmt: skip
    stranger = PersonFactory(organisation=org_a)  # another household of the organisation
    with pytest.raises(ValidationError, match="pas de ce ménage"):
        log(household, social_worker_a.user, persons=[stranger])
    with pytest.raises(ValidationError, match="pas membre de l’équipe"):
        log(household, social_worker_a.user, staff=[members_b[Role.SOCIAL_WORKER].user])
    assert not Interaction.objects.exists()


# --- Quick log screen -----------------------------------------------------------------------


def test_quick_log_from_the_household_page(client, household, social_worker_a):
    login(client, social_worker_a)
    page = client.get(household.get_absolute_url()).content.decode()
    url = reverse("support:interaction_create", args=[household.public_id])
    assert url in page
    form = client.get(url).content.decode()
    assert '<select name="kind"' in form and 'class="toggle"' in form and "Amina" in form
    amina, issa = household.persons.order_by("first_name")
    response = client.post(url, {
        "date": "2025-06-20", "kind": "visite_domicile", "domains": ["logement", "budget"],
        "duration_minutes": "60", "persons": [amina.pk, issa.pk], "notes": SECRET,
        "next_appointment": "2025-07-01T09:30",
    })  # fmt: skip
    assert response.status_code == 302
    assert response.url == reverse("support:household_timeline", args=[household.public_id])
    interaction = Interaction.objects.get()
    assert interaction.domains == ["budget", "logement"] and interaction.duration_minutes == 60
    assert timezone.localtime(interaction.next_appointment).hour == 9
    timeline = client.get(response.url).content.decode()
    assert SECRET in timeline and "01/07/2025 à 09:30" in timeline


def test_quick_log_asks_for_a_domain_except_for_a_missed_appointment(client, household,
                                                                      social_worker_a):  # fmt: skip
    login(client, social_worker_a)
    url = reverse("support:interaction_create", args=[household.public_id])
    response = client.post(url, {"date": "2025-06-20", "kind": "telephone", "notes": "xyz"})
    body = response.content.decode()
    assert response.status_code == 200 and "au moins un domaine" in body and "xyz" in body
    assert client.post(url, {"date": "2025-06-20", "kind": "rdv_non_honore"}).status_code == 302
    assert Interaction.objects.get().kind == "rdv_non_honore"


def test_quick_log_goes_back_where_it_came_from_but_never_elsewhere(client, household,
                                                                    social_worker_a):  # fmt: skip
    login(client, social_worker_a)
    url = reverse("support:interaction_create", args=[household.public_id])
    data = {"date": "2025-06-20", "kind": "telephone", "domains": ["sante"]}
    back = reverse("my_households")
    assert client.post(url, {**data, "next": back}).url == back
    assert client.post(url, {**data, "next": "https://evil.example/"}).url.startswith(
        "/accompagnement/menages/"
    )


# --- My households --------------------------------------------------------------------------


def test_my_households_puts_the_most_urgent_first(org_a, dispositif_a, social_worker_a, head_a):
    me = social_worker_a.user

    def present(reference, entry):
        return HouseholdFactory(organisation=org_a, dispositif=dispositif_a, referent=me,
                                reference=reference, entry_date=entry,
                                orientation_date=D(2024, 12, 1))  # fmt: skip

    present("H-RECENT", D(2025, 6, 1))  # contact due 13/07
    quiet = present("H-QUIET", D(2025, 1, 2))
    log(quiet, me, date=D(2025, 4, 1))  # last contact: due 13/05, already late
    log(quiet, me, date=D(2025, 6, 10), kind=InteractionType.RDV_NON_HONORE, domains=[])
    seen = present("H-SEEN", D(2025, 1, 2))
    log(seen, me, date=D(2025, 6, 18))  # due 30/07
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, referent=head_a.user,
                     entry_date=D(2025, 3, 2))  # someone else's  # fmt: skip
    for signed in (quiet, seen):  # signed: the support contract calls for nothing before 12/2025
        SupportContractFactory(
            organisation=org_a, household=signed, referent=me, signed_on=D(2025, 1, 20),
            initial_end_date=D(2025, 12, 1),
        )  # fmt: skip
    rows = list(my_households(me))
    # Quiet: contact due 13/05 (late); recent: signature due 01/07; seen: contact due 30/07.
    assert [h.reference for h in rows] == ["H-QUIET", "H-RECENT", "H-SEEN"]
    assert rows[0].last_contact == D(2025, 4, 1)  # the missed appointment is not a contact


def test_my_households_page_shows_flags_with_constant_queries(
    client, org_a, dispositif_a, social_worker_a, django_assert_max_num_queries
):
    login(client, social_worker_a)
    url = reverse("my_households")
    for count in (2, 8):
        while my_households(social_worker_a.user).count() < count:
            h = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True,
                                 referent=social_worker_a.user)  # fmt: skip
            contract = SubleaseContractFactory(organisation=org_a, household=h,
                                               unit__dispositif=dispositif_a,
                                               start_date=D(2025, 3, 1))  # fmt: skip
            issue_calls_to_date(contract)
            log(h, social_worker_a.user)
        with django_assert_max_num_queries(10):
            body = client.get(url).content.decode()
    assert "contrat d’accompagnement à signer (en retard)" in body and "impayé" in body


# --- Timeline and confidentiality -----------------------------------------------------------


def test_timeline_gathers_everything_and_hides_notes_from_regisseurs(
    client, household, org_a, dispositif_a, social_worker_a, members_a
):
    log(household, social_worker_a.user, notes=SECRET)
    contract = SubleaseContractFactory(
        organisation=org_a, household=household, unit__dispositif=dispositif_a,
        start_date=D(2025, 3, 1),
    )  # fmt: skip
    ledger.payment_record(contract=contract, date=D(2025, 6, 5), amount="123,45",
                          method=PaymentMethod.VIREMENT, by=social_worker_a.user,
                          confirmed=True)  # fmt: skip
    ReferralFactory(organisation=org_a, household=household, partner__name="CPAM de Saône")
    url = reverse("support:household_timeline", args=[household.public_id])
    for role, sees_notes in ((Role.SOCIAL_WORKER, True), (Role.HEAD, True),
                             (Role.REGISSEUR, False)):  # fmt: skip
        login(client, members_a[role])
        body = client.get(url).content.decode()
        assert "Visite à domicile" in body and "123,45" in body and "CPAM de Saône" in body
        assert contract.reference in body
        assert (SECRET in body) is sees_notes, role
    login(client, members_a[Role.ADMIN])
    assert client.get(url).status_code == 403
    items = household_timeline(household, with_notes=False)
    assert all(item.notes == "" for item in items)


def test_timeline_filters_by_kind(client, household, social_worker_a):
    log(household, social_worker_a.user)
    login(client, social_worker_a)
    url = reverse("support:household_timeline", args=[household.public_id])
    body = client.get(url, {"type": ["paiement"]}).content.decode()
    assert "Visite à domicile" not in body and "Rien à afficher" in body


def test_timeline_query_count_does_not_grow(client, household, social_worker_a,
                                            django_assert_max_num_queries):  # fmt: skip
    login(client, social_worker_a)
    url = reverse("support:household_timeline", args=[household.public_id])
    for count in (1, 10):
        while Interaction.objects.count() < count:
            log(household, social_worker_a.user, persons=list(household.persons.all()))
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200


# --- Roles and isolation --------------------------------------------------------------------


def test_roles_and_other_organisation(client, household, members_a, members_b):
    urls = [
        reverse("support:interaction_create", args=[household.public_id]),
        reverse("support:household_timeline", args=[household.public_id]),
    ]
    expected = {Role.SOCIAL_WORKER: (200, 200), Role.HEAD: (200, 200),
                Role.REGISSEUR: (403, 200), Role.ADMIN: (403, 403)}  # fmt: skip
    for role, statuses in expected.items():
        login(client, members_a[role])
        assert tuple(client.get(u).status_code for u in urls) == statuses, role
    for role in (Role.SOCIAL_WORKER, Role.HEAD):
        login(client, members_b[role])
        for url in urls:
            assert client.get(url).status_code == 404
        assert client.post(urls[0], {"date": "2025-06-20", "kind": "telephone",
                                     "domains": ["sante"]}).status_code == 404  # fmt: skip
    assert not Interaction.objects.exists()
    login(client, members_a[Role.REGISSEUR])
    assert client.get(reverse("my_households")).status_code == 403


def test_a_head_sees_every_present_household(client, org_a, dispositif_a, head_a,
                                             social_worker_a):  # fmt: skip
    HouseholdFactory(organisation=org_a, dispositif=dispositif_a, present=True,
                     referent=social_worker_a.user, reference="H-OF-SW")  # fmt: skip
    login(client, head_a)
    assert "H-OF-SW" not in client.get(reverse("my_households")).content.decode()
    assert "H-OF-SW" in client.get(reverse("my_households"), {"tous": "1"}).content.decode()


def test_my_households_shows_names_searches_and_sorts(client, org_a, dispositif_a, social_worker_a):
    me = social_worker_a.user
    for reference, last, first, entry in (
        ("H-1", "Zerrouki", "Amina", D(2025, 1, 2)),
        ("H-2", "Abebe", "Tesfaye", D(2025, 6, 1)),
        ("H-3", "Martin", "Élodie", D(2025, 3, 1)),
    ):
        household = HouseholdFactory(organisation=org_a, dispositif=dispositif_a, referent=me,
                                     reference=reference, entry_date=entry,
                                     orientation_date=D(2024, 12, 1))  # fmt: skip
        PersonFactory(organisation=org_a, household=household, role=PersonRole.REFERENT,
                      last_name=last, first_name=first)  # fmt: skip
    login(client, social_worker_a)
    url = reverse("my_households")
    body = client.get(url).content.decode()
    assert "H-1 — Zerrouki Amina" in body
    by_name = client.get(url, {"tri": "nom"}).content.decode()
    assert by_name.index("Abebe") < by_name.index("Martin") < by_name.index("Zerrouki")
    found = client.get(url, {"q": "elodie"}).content.decode()
    assert "Martin" in found and "Zerrouki" not in found and "Abebe" not in found
    nothing = client.get(url, {"q": "personne"}).content.decode()
    assert "Aucun ménage ne correspond" in nothing
