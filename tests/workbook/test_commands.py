"""The commands: import_workbook, export_workbook, workbook_bench."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from households.models import Household
from iml.models import Organisation, Role
from iml.rls import organisation_transaction
from tests.factories import MembershipFactory, OrganisationFactory
from tests.workbook.builders import base_sheets, set_cell, write_xlsx
from tests.workbook.helpers import counts
from workbook.bench import STAFF_EMAIL, synthetic_workbook
from workbook.importer import import_workbook
from workbook.reader import read_path


def _import(path, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_workbook", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def _broken(tmp_path) -> Path:
    sheets = base_sheets()
    set_cell(sheets, "personnes", 2, "sex", "z")
    set_cell(sheets, "menages", 3, "exit_date", "2023-03-15")
    return write_xlsx(tmp_path / "faux.xlsx", sheets)


def test_import_command(org_a, staff_a, tmp_path):
    out, _ = _import(write_xlsx(tmp_path / "c.xlsx", base_sheets()), organisation="alpha")
    assert "menages : 4 créée(s), 0 mise(s) à jour, 0 inchangée(s)" in out
    assert "Classeur importé dans « Association Alpha »" in out
    assert Household.objects.count() == 4


def test_errors_go_to_stderr_with_status_1_and_nothing_is_written(org_a, staff_a, tmp_path):
    before = counts(org_a)
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_workbook", str(_broken(tmp_path)), organisation="alpha", stderr=err)
    assert info.value.returncode == 1
    assert "2 erreur(s) : rien n’a été importé." in str(info.value)
    assert err.getvalue().splitlines() == [
        "menages:3: exit_date: la sortie (15/03/2023) précède l’entrée (01/04/2023)",
        "personnes:2: sex: code inconnu « z » (codes : f, m, x)",
    ]
    assert counts(org_a) == before


def test_unknown_organisation(db, tmp_path):
    with pytest.raises(CommandError, match="Organisation inconnue : nulle"):
        _import(write_xlsx(tmp_path / "c.xlsx", base_sheets()), organisation="nulle")
    with pytest.raises(CommandError, match="Organisation inconnue"):
        call_command("export_workbook", str(tmp_path / "x.xlsx"), organisation="nulle")


def test_create_organisation(db, tmp_path):
    sheets = base_sheets()
    sheets.pop("accompagnements")  # a new organisation has nobody to be a referent
    sheets.pop("avenants_accompagnement")
    sheets.pop("interactions")  # nor staff
    out, _ = _import(
        write_xlsx(tmp_path / "c.xlsx", sheets),
        organisation="le-pont",
        create_organisation="Association Le Pont",
    )
    organisation = Organisation.objects.get(slug="le-pont")
    assert organisation.name == "Association Le Pont"
    assert organisation.departement == "71"  # from the housing units' postcodes
    assert "Organisation « Association Le Pont » (le-pont) créée." in out
    with organisation_transaction(organisation):
        assert Household.objects.count() == 4


def test_create_organisation_is_undone_with_the_errors(db, tmp_path):
    with pytest.raises(CommandError):
        _import(_broken(tmp_path), organisation="le-pont", create_organisation="Le Pont")
    assert not Organisation.objects.filter(slug="le-pont").exists()


@pytest.mark.django_db(transaction=True)
def test_exit_status_of_the_real_command(tmp_path):
    """``manage.py import_workbook`` in a process of its own: status 1, errors on stderr."""
    OrganisationFactory(name="Association Alpha", slug="alpha")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={db['HOST']}"
    if not db["HOST"].startswith("/"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iml.settings_test",
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_workbook", str(_broken(tmp_path)),
         "--organisation", "alpha"],
        cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "personnes:2: sex: code inconnu « z »" in result.stderr
    assert "Traceback" not in result.stderr


def test_synthetic_workbook_imports(org_a, tmp_path):
    MembershipFactory(organisation=org_a, user__email=STAFF_EMAIL, role=Role.HEAD)
    folder = synthetic_workbook(40, seed=3, folder=tmp_path / "bench")
    with organisation_transaction(org_a):
        analysis = import_workbook(read_path(folder), org_a)
    created = {sheet["sheet"]: sheet["create"] for sheet in analysis.preview()}
    assert created["menages"] == 40 and created["mouvements"] > 300


def test_bench_command_prints_the_seconds(db):
    out = io.StringIO()
    call_command("workbook_bench", households=15, stdout=out)
    seconds = out.getvalue().strip().splitlines()[-1]
    assert float(seconds) >= 0
    assert not Organisation.objects.filter(slug__startswith="bench-").exists()  # rolled back
