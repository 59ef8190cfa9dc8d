"""Collective workshops: who may take part and run one, the screens, roles and isolation."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from freezegun import freeze_time

from iml.codes import PersonRole, SupportDomain
from iml.models import Role
from support import network
from support.models import Workshop, WorkshopFacilitator, WorkshopParticipant
from tests.conftest import login
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.support.factories import WorkshopFactory

D = datetime.date
DAY = D(2025, 6, 5)


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20"):
        yield


@pytest.fixture
def people(org_a, org_b):
    """Persons of A and B, present or not on 05/06/2025."""
    one = HouseholdFactory(organisation=org_a, reference="MENAGE-UN", present=True)
    two = HouseholdFactory(organisation=org_a, reference="MENAGE-DEUX", present=True)
    waiting = HouseholdFactory(organisation=org_a, reference="MENAGE-ATTENTE")
    gone = HouseholdFactory(organisation=org_a, reference="MENAGE-SORTI",
                            entry_date=D(2025, 2, 1), exit_date=D(2025, 4, 1),
                            exit_destination="logement_social")  # fmt: skip
    foreign = HouseholdFactory(organisation=org_b, reference="MENAGE-B", present=True)

    def person(household, first_name, role=PersonRole.REFERENT, **fields):
        return PersonFactory(
            organisation=household.organisation,
            household=household,
            first_name=first_name,
            last_name="Test",
            role=role,
            **fields,
        )

    return {
        "amina": person(one, "Amina"),
        "bilal": person(one, "Bilal", PersonRole.ENFANT, birth_date=D(2015, 1, 1)),
        "fatou": person(one, "Fatou", PersonRole.AUTRE, joined_date=D(2025, 6, 10)),
        "chloe": person(two, "Chloé"),
        "dan": person(two, "Dan", PersonRole.CONJOINT, left_date=D(2025, 5, 1)),
        "eve": person(waiting, "Ève", joined_date=D(2025, 2, 1)),
        "gus": person(gone, "Gus"),
        "hugo": person(foreign, "Hugo"),
    }


@pytest.fixture
def staff(members_a):
    return members_a[Role.SOCIAL_WORKER].user


def save(staff, participants, **overrides):
    fields = {"date": DAY, "title": "Comprendre sa facture d’énergie",
              "theme": SupportDomain.BUDGET, "description": "", "facilitators": [staff],
              "participants": participants, **overrides}  # fmt: skip
    return network.workshop_save(by=staff, **fields)


# --- Who takes part, who runs it ------------------------------------------------------------


def test_participants_are_the_persons_present_on_the_day(people):
    names = [person.first_name for person in network.participant_choices(DAY)]
    # By household reference (MENAGE-DEUX before MENAGE-UN), then by birth date.
    assert names == ["Chloé", "Amina", "Bilal"]
    assert "Fatou" in [p.first_name for p in network.participant_choices(D(2025, 6, 10))]
    assert "Gus" in [p.first_name for p in network.participant_choices(D(2025, 3, 31))]
    assert "Gus" not in [p.first_name for p in network.participant_choices(D(2025, 4, 1))]


def test_facilitators_are_active_field_members(members_a, org_a, org_b):
    MembershipFactory(organisation=org_a, role=Role.HEAD, is_active=False,
                      user__email="ancienne@alpha.example")  # fmt: skip
    MembershipFactory(organisation=org_b, role=Role.HEAD, user__email="cheffe@beta.example")
    users = set(network.facilitator_choices())
    expected = {members_a[role].user for role in (Role.SOCIAL_WORKER, Role.HEAD, Role.REGISSEUR)}
    assert users == expected


def test_workshop_save_records_facilitators_and_participants(people, staff, org_a, members_a):
    workshop = save(staff, [people["amina"], people["bilal"], people["amina"]],
                    facilitators=[staff, members_a[Role.REGISSEUR].user],
                    title="  Comprendre   sa facture ")  # fmt: skip
    assert workshop.title == "Comprendre sa facture" and workshop.created_by == staff
    assert set(workshop.participants.all()) == {people["amina"], people["bilal"]}
    assert workshop.facilitators.count() == 2
    # Link rows carry the organisation.
    assert set(WorkshopParticipant.objects.values_list("organisation_id", flat=True)) == {org_a.pk}
    assert WorkshopFacilitator.objects.filter(organisation=org_a).count() == 2


def test_workshop_save_corrects_a_workshop(people, staff, members_a):
    workshop = save(staff, [people["amina"]])
    head = members_a[Role.HEAD].user
    saved = network.workshop_save(workshop=workshop, date=DAY, title="Budget", theme="budget",
                                  description="Suite", facilitators=[head],
                                  participants=[people["chloe"]], by=head)  # fmt: skip
    assert saved.pk == workshop.pk and saved.created_by == staff
    assert list(saved.participants.all()) == [people["chloe"]]
    assert list(saved.facilitators.all()) == [head]
    assert Workshop.objects.count() == 1 and WorkshopParticipant.objects.count() == 1


@pytest.mark.parametrize("name", ["fatou", "dan", "eve", "gus"])
def test_a_person_absent_that_day_is_refused(people, staff, name):
    with pytest.raises(ValidationError) as error:
        save(staff, [people["amina"], people[name]])
    message = error.value.message_dict["participants"][0]
    assert "le 05/06/2025" in message and people[name].first_name in message
    assert "Amina" not in message
    assert not Workshop.objects.exists() and not WorkshopParticipant.objects.exists()


def test_a_person_of_another_organisation_is_refused(people, staff):
    with pytest.raises(ValidationError) as error:
        save(staff, [people["hugo"]])
    assert "pas suivies par l’organisation" in error.value.message_dict["participants"][0]
    assert not Workshop.all_organisations.exists()


@pytest.mark.parametrize("who", ["admin", "inactive", "other_organisation", "nobody"])
def test_facilitators_are_checked(people, staff, members_a, members_b, org_a, who):
    if who == "admin":
        facilitators = [members_a[Role.ADMIN].user]
    elif who == "inactive":
        membership = MembershipFactory(organisation=org_a, role=Role.SOCIAL_WORKER,
                                       is_active=False)  # fmt: skip
        facilitators = [staff, membership.user]
    elif who == "other_organisation":
        facilitators = [members_b[Role.SOCIAL_WORKER].user]
    else:
        facilitators = []
    with pytest.raises(ValidationError) as error:
        save(staff, [people["amina"]], facilitators=facilitators)
    assert "facilitators" in error.value.message_dict
    assert not Workshop.objects.exists()


def test_title_and_theme_are_checked(people, staff):
    with pytest.raises(ValidationError) as error:
        save(staff, [], title="  ", theme="inconnu")
    assert "title" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        save(staff, [], theme="inconnu")
    assert "theme" in error.value.message_dict
    assert not Workshop.objects.exists()


# --- List -----------------------------------------------------------------------------------


def test_workshop_list_newest_first_with_counts(client, people, staff, members_a, org_a):
    save(staff, [people["amina"], people["bilal"], people["chloe"]], title="Atelier budget",
         date=D(2025, 6, 5))  # fmt: skip
    WorkshopFactory(organisation=org_a, title="Atelier ancien", date=D(2025, 4, 2))
    login(client, members_a[Role.SOCIAL_WORKER])
    response = client.get(reverse("support:workshop_list"))
    body = response.content.decode()
    assert body.index("Atelier budget") < body.index("Atelier ancien")
    first = response.context["page"].object_list[0]
    assert (first.participant_count, first.household_count) == (3, 2)
    assert str(staff) in body and 'data-label="Ménages"' in body


def test_empty_workshop_list_says_what_to_do(client, members_a):
    login(client, members_a[Role.HEAD])
    body = client.get(reverse("support:workshop_list")).content.decode()
    assert "Aucun atelier enregistré" in body and reverse("support:workshop_create") in body


def test_workshop_list_query_count_does_not_grow(
    client, people, staff, members_a, django_assert_max_num_queries
):
    login(client, members_a[Role.HEAD])
    url = reverse("support:workshop_list")
    for count in (2, 12):
        while Workshop.objects.count() < count:
            save(staff, [people["amina"], people["chloe"]])
        with django_assert_max_num_queries(11):
            assert client.get(url).status_code == 200


def test_workshop_list_is_paginated(client, members_a, org_a):
    for number in range(27):
        WorkshopFactory(organisation=org_a, title=f"Atelier {number:02d}",
                        date=D(2025, 1, 1) + datetime.timedelta(days=number))  # fmt: skip
    login(client, members_a[Role.HEAD])
    url = reverse("support:workshop_list")
    assert "Atelier 00" not in client.get(url).content.decode()
    assert "Atelier 00" in client.get(url, {"page": 2}).content.decode()


# --- Form screens ---------------------------------------------------------------------------


def form_data(staff, *persons, **overrides) -> dict:
    return {"date": "2025-06-05", "title": "Comprendre sa facture", "theme": "budget",
            "description": "", "facilitators": [staff.pk],
            "participants": [person.pk for person in persons], **overrides}  # fmt: skip


def test_create_screen_offers_present_persons_grouped_by_household(client, people, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    with freeze_time("2025-06-05"):
        page = client.get(reverse("support:workshop_create")).content.decode()
    assert "Ménage MENAGE-DEUX" in page and "Ménage MENAGE-UN" in page
    assert page.index("MENAGE-DEUX") < page.index("Chloé") < page.index("MENAGE-UN")
    assert page.index("MENAGE-UN") < page.index("Amina") < page.index("Bilal")
    for absent in ("Fatou", "Dan Test", "Ève", "Gus", "Hugo", "MENAGE-B"):
        assert absent not in page
    # Facilitators: field staff of A; the one creating is ticked.
    assert str(members_a[Role.REGISSEUR].user) in page
    assert str(members_a[Role.ADMIN].user) not in page
    assert 'class="toggle"' in page and "hx-post" in page and 'value="2025-06-05"' in page


def test_create_screen_records_the_workshop(client, people, staff, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    response = client.post(reverse("support:workshop_create"),
                           form_data(staff, people["amina"], people["chloe"]))  # fmt: skip
    workshop = Workshop.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("support:workshop_detail", args=[workshop.public_id])
    assert set(workshop.participants.all()) == {people["amina"], people["chloe"]}
    assert list(workshop.facilitators.all()) == [staff]


def test_create_screen_refuses_another_organisations_person_or_user(
    client, people, staff, members_a, members_b
):
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:workshop_create")
    for data in (
        form_data(staff, people["amina"], people["hugo"]),
        form_data(staff, people["amina"], facilitators=[members_b[Role.HEAD].user.pk]),
        form_data(staff, people["amina"], facilitators=[members_a[Role.ADMIN].user.pk]),
        form_data(staff, people["fatou"]),  # not present on that day
        form_data(staff, people["amina"], facilitators=[]),
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not Workshop.all_organisations.exists()
    assert not WorkshopParticipant.all_organisations.exists()


def test_refresh_shows_the_persons_present_on_another_date_without_saving(
    client, people, staff, members_a
):
    login(client, members_a[Role.SOCIAL_WORKER])
    url = reverse("support:workshop_create")
    data = form_data(staff, people["amina"], date="2025-06-12", title="Gardé", refresh="1")
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200 and not Workshop.objects.exists()
    assert "présents le 12/06/2025" in page and "Fatou" in page
    assert 'value="Gardé"' in page and "errorlist" not in page
    checked = {str(w.data["value"]) for w in response.context["form"]["participants"]
               if w.data["selected"]}  # fmt: skip
    assert checked == {str(people["amina"].pk)}
    # An unreadable date falls back to today.
    page = client.post(url, {**data, "date": "n’importe"}).content.decode()
    assert "présents le 20/06/2025" in page


def test_create_screen_says_when_nobody_is_present(client, members_a):
    login(client, members_a[Role.SOCIAL_WORKER])
    page = client.get(reverse("support:workshop_create")).content.decode()
    assert "Personne n’est présent dans un ménage suivi le 20/06/2025" in page


def test_detail_groups_participants_by_household(client, people, staff, members_a):
    workshop = save(staff, [people["amina"], people["bilal"], people["chloe"]],
                    description="Lire une facture")  # fmt: skip
    login(client, members_a[Role.HEAD])
    response = client.get(reverse("support:workshop_detail", args=[workshop.public_id]))
    page = response.content.decode()
    assert [h.reference for h, _ in response.context["groups"]] == ["MENAGE-DEUX", "MENAGE-UN"]
    assert "Amina Test, Bilal Test" in page and "3 personnes, 2 ménages" in page
    assert "Lire une facture" in page and str(staff) in page


def test_edit_screen_changes_participants(client, people, staff, members_a):
    workshop = save(staff, [people["amina"]])
    login(client, members_a[Role.HEAD])
    url = reverse("support:workshop_edit", args=[workshop.public_id])
    form = client.get(url).context["form"]
    assert [str(w.data["value"]) for w in form["participants"] if w.data["selected"]] == [
        str(people["amina"].pk)
    ]
    response = client.post(url, form_data(staff, people["bilal"], people["chloe"], title="Neuf"))
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.title == "Neuf"
    assert set(workshop.participants.all()) == {people["bilal"], people["chloe"]}


def test_edit_screen_refuses_a_date_where_a_participant_was_absent(
    client, people, staff, members_a
):
    workshop = save(staff, [people["amina"], people["dan"]], date=D(2025, 4, 15))
    login(client, members_a[Role.HEAD])
    url = reverse("support:workshop_edit", args=[workshop.public_id])
    # Dan had left on 01/05: moving the workshop to June is refused, nothing changes.
    response = client.post(url, form_data(staff, people["amina"], people["dan"]))
    assert response.status_code == 200
    assert "Dan Test" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.date == D(2025, 4, 15) and workshop.participants.count() == 2


# --- Roles and isolation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.SOCIAL_WORKER, 200), (Role.HEAD, 200), (Role.REGISSEUR, 403), (Role.ADMIN, 403)],
)
def test_role_matrix(client, people, staff, members_a, role, status):
    workshop = save(staff, [people["amina"]])
    login(client, members_a[role])
    urls = [
        reverse("support:workshop_list"),
        reverse("support:workshop_create"),
        reverse("support:workshop_detail", args=[workshop.public_id]),
        reverse("support:workshop_edit", args=[workshop.public_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == status
    if status == 403:
        assert client.post(urls[1], form_data(staff, people["amina"])).status_code == 403
        assert client.post(urls[3], form_data(staff, title="Changé")).status_code == 403
        assert Workshop.objects.count() == 1
        workshop.refresh_from_db()
        assert workshop.title != "Changé"


def test_another_organisation_gets_404(client, people, staff, members_b):
    workshop = save(staff, [people["amina"]])
    for role in (Role.SOCIAL_WORKER, Role.HEAD):
        login(client, members_b[role])
        for name in ("support:workshop_detail", "support:workshop_edit"):
            url = reverse(name, args=[workshop.public_id])
            assert client.get(url).status_code == 404
            assert client.post(url, form_data(members_b[role].user, title="B")).status_code == 404
        body = client.get(reverse("support:workshop_list")).content.decode()
        assert "Comprendre sa facture" not in body
        page = client.get(reverse("support:workshop_create")).content.decode()
        assert "Amina" not in page and "MENAGE-UN" not in page
    workshop.refresh_from_db()
    assert workshop.title == "Comprendre sa facture d’énergie"
