import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from iml.models import Dispositif, parse_age_brackets, validate_siret
from iml.scoping import organisation_context
from tests.factories import DispositifFactory


@pytest.mark.parametrize("siret", ["73282932000074", "35600000049837"])
def test_valid_siret(siret):
    validate_siret(siret)


@pytest.mark.parametrize(
    ("siret", "message"),
    [("7328293200007", "14 chiffres"), ("73282932000075", "clé"), ("ABCDEFGHIJKLMN", "14")],
)
def test_invalid_siret_is_explained(siret, message):
    with pytest.raises(ValidationError, match=message):
        validate_siret(siret)


def test_default_age_brackets_parse():
    assert parse_age_brackets("0-17;18-24;25-39;40-59;60+") == [
        (0, 17),
        (18, 24),
        (25, 39),
        (40, 59),
        (60, None),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "au moins une"),
        ("0-17;19-24;25+", "se suivre"),
        ("0-17;18-24", "ouverte"),
        ("0-17;18+;30+", "dernière"),
        ("0-17;abc", "illisible"),
        ("5-17;18+", "commencer à 0"),
    ],
)
def test_bad_age_brackets_are_explained_in_french(value, message):
    with pytest.raises(ValidationError, match=message):
        parse_age_brackets(value)


@pytest.mark.django_db
def test_dispositif_code_is_unique_within_an_organisation_only(org_a, org_b):
    DispositifFactory(organisation=org_a, code="IML")
    DispositifFactory(organisation=org_b, code="IML")  # another organisation: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        DispositifFactory(organisation=org_a, code="IML")


@pytest.mark.django_db
def test_database_refuses_an_unknown_category_or_month(org_a):
    dispositif = DispositifFactory(organisation=org_a)
    for field, value in [("category", "autre"), ("zone", "moyenne"), ("report_start_month", 13)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Dispositif.all_organisations.filter(pk=dispositif.pk).update(**{field: value})


@pytest.mark.django_db
def test_full_clean_reports_duplicate_code_in_french(org_a):
    DispositifFactory(organisation=org_a, code="IML")
    with organisation_context(org_a):
        duplicate = Dispositif(
            organisation=org_a, code="IML", name="Doublon", category="classique", zone="tendue"
        )
        with pytest.raises(ValidationError, match="porte déjà ce code"):
            duplicate.full_clean()
