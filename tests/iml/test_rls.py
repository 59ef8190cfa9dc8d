"""Row-level security: PostgreSQL itself keeps organisations apart, whatever the code does."""

import pytest
from django.conf import settings
from django.db import IntegrityError, ProgrammingError, connection, transaction

from iml.rls import POLICY, organisation_tables, organisation_transaction
from iml.scoping import organisation_context
from tests.factories import DispositifFactory, OrganisationFactory


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.django_db
def test_every_organisation_table_has_forced_row_level_security_and_the_policy():
    tables = organisation_tables()
    assert "households_household" in tables and "iml_membership" in tables
    rows = raw(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               p.qual IS NOT NULL, p.with_check IS NOT NULL
        FROM pg_class c
        LEFT JOIN pg_policies p ON p.tablename = c.relname AND p.policyname = %s
        WHERE c.relname = ANY(%s) AND c.relkind = 'r'
        """,
        [POLICY, tables],
    )
    found = {name: flags for name, *flags in rows}
    assert set(found) == set(tables)
    for table, flags in found.items():
        assert flags == [True, True, True, True], f"{table} lacks row-level security: {flags}"


@pytest.mark.django_db
def test_the_application_role_owns_nothing_and_cannot_bypass():
    user, superuser, bypass = raw(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )[0]
    assert user == settings.DATABASE_APP_ROLE
    assert not superuser and not bypass
    owned = raw(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles "
        "WHERE rolname = current_user) AND relkind IN ('r', 'p')"
    )[0][0]
    assert owned == 0
    with pytest.raises(ProgrammingError), transaction.atomic():
        raw("CREATE TABLE sneaky (id int)")


@pytest.fixture
def two_organisations(db):
    alpha = OrganisationFactory(slug="rls-alpha")
    beta = OrganisationFactory(slug="rls-beta")
    DispositifFactory(organisation=alpha, code="A")
    DispositifFactory(organisation=beta, code="B")
    return alpha, beta


@pytest.mark.django_db
def test_raw_sql_without_the_setting_sees_no_row(two_organisations):
    with organisation_context(None):
        assert raw("SELECT code FROM iml_dispositif") == []


@pytest.mark.django_db
def test_with_a_setting_raw_sql_sees_only_that_organisation(two_organisations):
    alpha, beta = two_organisations
    with organisation_context(alpha):
        assert raw("SELECT code FROM iml_dispositif") == [("A",)]
        # Even asking for B's rows by their organisation gives nothing.
        assert raw("SELECT code FROM iml_dispositif WHERE organisation_id = %s", [beta.pk]) == []


@pytest.mark.django_db
def test_inserting_or_moving_a_row_into_another_organisation_fails(two_organisations):
    alpha, beta = two_organisations
    with organisation_context(alpha):
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            raw(
                "INSERT INTO iml_dispositif (organisation_id, public_id, code, name, category, "
                "zone, funder, places, report_start_month, age_brackets, is_active, created_at) "
                "VALUES (%s, gen_random_uuid(), 'X', 'X', 'classique', 'tendue', '', 1, 1, "
                "'0-17;18+', true, now())",
                [beta.pk],
            )
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            raw("UPDATE iml_dispositif SET organisation_id = %s", [beta.pk])


@pytest.mark.django_db(transaction=True)
def test_the_setting_does_not_leak_to_the_next_transaction():
    alpha = OrganisationFactory(slug="leak-alpha")
    DispositifFactory(organisation=alpha, code="A")
    with organisation_transaction(alpha):
        assert raw("SELECT code FROM iml_dispositif") == [("A",)]
    # Same connection, next transaction, no context: nothing.
    with transaction.atomic():
        assert raw("SELECT current_setting('iml.organisation_id', true)") in ([("",)], [(None,)])
        assert raw("SELECT code FROM iml_dispositif") == []
    # Outside any transaction (autocommit): nothing either.
    with organisation_context(alpha):
        assert raw("SELECT code FROM iml_dispositif") == []


@pytest.mark.django_db
def test_a_user_sees_their_own_memberships_of_every_organisation_only(org_a, org_b, members_b):
    from iml.rls import user_context

    own = members_b["head"]
    with organisation_context(None), user_context(own.user_id):
        rows = raw("SELECT user_id FROM iml_membership")
    assert rows == [(own.user_id,)]


@pytest.mark.django_db
def test_a_rolled_back_savepoint_does_not_leave_the_wrong_organisation(two_organisations):
    alpha, beta = two_organisations
    with organisation_context(alpha):
        assert raw("SELECT code FROM iml_dispositif") == [("A",)]
        with organisation_context(beta):
            with pytest.raises(IntegrityError), transaction.atomic():
                assert raw("SELECT code FROM iml_dispositif") == [("B",)]
                raw("INSERT INTO iml_organisation (id) VALUES (NULL)")
            assert raw("SELECT code FROM iml_dispositif") == [("B",)]
        assert raw("SELECT code FROM iml_dispositif") == [("A",)]


@pytest.mark.django_db(transaction=True)
def test_consecutive_transactions_of_one_organisation_each_get_the_setting():
    """Each transaction applies the setting anew, even when Python reuses the memory of the
    previous transaction's objects (a regression: keying on id() skipped it)."""
    alpha = OrganisationFactory(slug="again-alpha")
    DispositifFactory(organisation=alpha, code="A")
    counts = []
    for _ in range(20):
        with organisation_transaction(alpha):
            counts.append(raw("SELECT count(*) FROM iml_dispositif")[0][0])
    assert counts == [1] * 20


@pytest.mark.django_db(transaction=True)
def test_a_connection_opened_inside_a_history_context_keeps_the_setting():
    """Regression: pghistory's request context removed our wrapper when the connection was
    opened inside it, and left its own behind (500 on the next query, no organisation)."""
    import pghistory

    from iml.rls import _apply_setting

    alpha = OrganisationFactory(slug="ctx-alpha")
    DispositifFactory(organisation=alpha, code="A")
    connection.close()
    connection.execute_wrappers.clear()  # as on a brand-new connection object (a new thread)
    with pghistory.context(user=1), organisation_transaction(alpha):
        assert raw("SELECT code FROM iml_dispositif") == [("A",)]
    assert connection.execute_wrappers == [_apply_setting]
    with organisation_transaction(alpha):
        assert raw("SELECT code FROM iml_dispositif") == [("A",)]
