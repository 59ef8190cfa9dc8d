"""A synthetic interchange workbook of any size, for timing the import (``workbook_bench``).

The history covers ``years`` years up to today: housing spaces (whole flats, and rooms of
shared flats) host households one after the other, each for 6 to 30 months (entries and exits
on the 1st of a month); each household has its persons, resources and employment, its
sublease contract renewed every six months, its ledger (a rent call, the CAF's housing benefit
and, most months, the household's payment, each month; a few reversals), a support contract
with an amendment and a few interactions; a few repayment plans; a workshop a month. Some
households are still waiting for a home, or withdrawn.
"""

from __future__ import annotations

import csv
import datetime
import random
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.utils.crypto import get_random_string
from openpyxl import Workbook

from iml.models import Membership, Organisation, Role, User
from iml.rls import organisation_transaction
from workbook import spec
from workbook.importer import import_workbook
from workbook.reader import read_path

FIRST_NAMES = ["Amina", "Bilal", "Chloé", "Dan", "Ève", "Farid", "Grace", "Hugo", "Inès", "Jon"]
LAST_NAMES = ["Haddad", "Martin", "Diallo", "Nguyen", "Bernard", "Petit", "Traoré", "Kaya"]
NATIONALITIES = ["AF", "SD", "ER", "SY", "FR", "GN", "CD", "UA"]
STAFF_EMAIL = "bench@iml.example"
# A colleague who has left: named in the history, no member of the importing organisation.
FORMER_COLLEAGUE = "ancienne.collegue@iml.example"


@dataclass(frozen=True)
class Shape:
    """The shape of the synthetic history, beyond its size."""

    # The staff member of the interactions: a member of the importing organisation.
    staff_email: str = STAFF_EMAIL
    # Up to ``visits`` interactions per household, one every ``visit_every`` days while housed.
    visits: int = 4
    visit_every: int = 60
    # Stays last from ... to ... months (bounds included).
    stay_months: tuple[int, int] = (6, 30)
    # Flats captured at the start of the history, per household housed over it (more are
    # captured when all are taken).
    units_per_household: float = 1 / 3
    # Starts every reference: a second batch for the same organisation does not collide.
    prefix: str = ""


def _months(start: datetime.date, months: int) -> datetime.date:
    return start + relativedelta(months=months)


class _Writer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.files = {}
        self.writers = {}
        self.counts: Counter[str] = Counter()
        for sheet in spec.SHEETS:
            handle = (folder / f"{sheet.name}.csv").open("w", encoding="utf-8", newline="")
            self.files[sheet.name] = handle
            self.writers[sheet.name] = csv.writer(handle)
            self.writers[sheet.name].writerow(sheet.column_names)

    def row(self, sheet: str, *cells) -> None:
        self.writers[sheet].writerow(["" if cell is None else str(cell) for cell in cells])
        self.counts[sheet] += 1

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


def synthetic_workbook(
    households: int,
    seed: int,
    *,
    years: int = 5,
    folder: Path | None = None,
    today: datetime.date | None = None,
    shape: Shape = Shape(),
) -> Path:
    """A folder of ``<sheet>.csv`` holding ``households`` households and their history."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    end = today.replace(day=1)
    window = _months(end, -12 * years)
    folder = folder or Path(tempfile.mkdtemp(prefix="iml-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    out = _Writer(folder)
    try:
        _generate(out, rng, households, window, end, today, shape)
    finally:
        out.close()
    (folder / "README.txt").write_text(
        "\n".join(f"{sheet}: {count}" for sheet, count in out.counts.items()) + "\n",
        encoding="utf-8",
    )
    return folder


def _generate(out: _Writer, rng, total, window, end, today, shape: Shape) -> None:
    dispositifs = ["IML-1", "IML-2", "IML-3"]
    for code in dispositifs:
        out.row("dispositifs", code, f"IML {code}", "classique", "detendue", "DDETS — BOP 177",
                total // 3, 1, "0-17;18-24;25-39;40-59;60+")  # fmt: skip
    placed = int(total * 0.92)
    spaces: list[dict] = []
    counter = {"unit": 0, "entry": 0, "plan": 0, "support": 0}
    pre = shape.prefix
    present_persons: list[tuple[datetime.date, datetime.date | None, str]] = []

    def new_unit() -> None:
        counter["unit"] += 1
        ref = f"{pre}L{counter['unit']:05d}"
        dispositif = dispositifs[counter["unit"] % len(dispositifs)]
        shared = counter["unit"] % 10 == 0
        rent = Decimal(rng.randrange(350, 750))
        out.row("logements", ref, dispositif, f"{counter['unit']} rue de la Paix", "71100",
                "Chalon-sur-Saône", "", "t4" if shared else rng.choice(["t1", "t2", "t3"]),
                4 if shared else rng.randint(1, 4), rng.choice(["prive", "public"]),
                f"Bailleur {counter['unit'] % 200}", "sous_location", "", str(shared).lower(),
                f"{rent:.2f}", "40.00", window.isoformat(), "", "")  # fmt: skip
        if shared:
            for letter in "AB":
                out.row("chambres", f"{ref}-{letter}", ref, 1)
                spaces.append({"unit": ref, "room": f"{ref}-{letter}", "free": window,
                               "dispositif": dispositif, "full": False})  # fmt: skip
        else:
            spaces.append({"unit": ref, "room": "", "free": window, "dispositif": dispositif,
                           "full": False})  # fmt: skip

    for _ in range(max(1, round(placed * shape.units_per_household))):
        new_unit()
    for number in range(1, total + 1):
        ref = f"{pre}M{number:06d}"
        if number > placed:
            _waiting(out, rng, ref, dispositifs, end, today, number)
            continue
        open_spaces = [space for space in spaces if not space["full"]]
        if not open_spaces:
            new_unit()
            open_spaces = [spaces[-1]]
        space = rng.choice(open_spaces[:50])
        entry = _months(space["free"], rng.randint(0, 2))
        if entry >= end:
            space["full"] = True
            new_unit()
            space = spaces[-1]
            entry = _months(space["free"], rng.randint(0, 2))
        stay = rng.randint(*shape.stay_months)
        exit_ = _months(entry, stay)
        if exit_ > end:
            exit_ = None
            space["full"] = True
        else:
            space["free"] = exit_
        _household(out, rng, ref, space, entry, exit_, today, counter, present_persons, shape)
    # A workshop a month, with persons present then.
    month = window
    workshop = 0
    while month < end:
        day = month + datetime.timedelta(days=14)
        present = [
            p for start, stop, p in present_persons if start <= day and (stop is None or day < stop)
        ]
        if present:
            workshop += 1
            chosen = rng.sample(present, min(10, len(present)))
            out.row("ateliers", f"{pre}W{workshop:04d}", day.isoformat(), "Atelier budget",
                    ";".join(chosen))  # fmt: skip
        month = _months(month, 1)


def _waiting(out, rng, ref, dispositifs, end, today, number) -> None:
    orientation = _months(end, -rng.randint(1, 10))
    withdrawn = number % 3 == 0 and _months(orientation, 1) <= today
    # History as operators have it: a withdrawal whose reason nobody wrote down.
    reason = "" if number % 21 == 0 else "sans_nouvelles"
    out.row("menages", ref, rng.choice(dispositifs), "", orientation.isoformat(), "",
            "rue", "false", "", "", "", "false", "",
            _months(orientation, 1).isoformat() if withdrawn else "",
            reason if withdrawn else "")  # fmt: skip
    out.row("personnes", f"{ref}-1", ref, rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES), "f",
            "1988-04-02", "referent", rng.choice(NATIONALITIES), "refugie", "", "")  # fmt: skip


def _household(out, rng, ref, space, entry, exit_, today, counter, present_persons, shape):
    pre = shape.prefix
    orientation = entry - datetime.timedelta(days=rng.randint(10, 90))
    # Some old files lost the orientation date: it stays empty (a data-quality gap).
    oriented = "" if rng.random() < 0.02 else orientation.isoformat()
    out.row("menages", ref, space["dispositif"], f"SIAO-{ref}", oriented,
            "CADA Le Pont", rng.choice(["asile", "rue", "tiers", "hebergement_generaliste"]),
            "false", entry.isoformat(), exit_.isoformat() if exit_ else "",
            rng.choice(["logement_social", "logement_prive", "tiers"]) if exit_ else "",
            "false", "asll" if exit_ and rng.random() < 0.3 else "", "", "")  # fmt: skip
    last = rng.choice(LAST_NAMES)
    size = 1 if space["room"] else rng.randint(1, 5)
    persons = []
    for index in range(1, size + 1):
        role = "referent" if index == 1 else ("conjoint" if index == 2 else "enfant")
        year = rng.randint(1965, 2002) if role != "enfant" else rng.randint(2008, 2022)
        person = f"{ref}-{index}"
        persons.append((person, role))
        out.row("personnes", person, ref, last, rng.choice(FIRST_NAMES),
                rng.choice(["f", "m"]), f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                role, rng.choice(NATIONALITIES), "refugie", "", "")  # fmt: skip
        present_persons.append((entry, exit_, person))
    out.row("ressources", ref, entry.isoformat(), rng.choice(["rsa", "are", "salaire",
            "prestations_familiales;rsa"]))  # fmt: skip
    if rng.random() < 0.5:
        out.row("ressources", ref, _months(entry, 3).isoformat(), "salaire")
    for person, role in persons:
        if role != "enfant":
            out.row(
                "emplois",
                person,
                entry.isoformat(),
                rng.choice(["sans_emploi", "cours_francais", "emploi", "formation"]),
            )
    contract = f"C-{ref}"
    rent = Decimal(rng.randrange(200, 450))
    charges = Decimal("30.00")
    out.row("contrats", contract, ref, space["unit"], space["room"], entry.isoformat(),
            _months(entry, 6).isoformat(), f"{rent:.2f}", f"{charges:.2f}", f"{rent:.2f}",
            exit_.isoformat() if exit_ else "")  # fmt: skip
    stay_end = exit_ or _months(today.replace(day=1), 1)
    term = _months(entry, 6)
    while term < stay_end:
        signed = term - datetime.timedelta(days=15)
        if signed > today:
            break
        term = _months(term, 6)
        out.row("avenants", contract, signed.isoformat(), term.isoformat())
    # The ledger: each month, the rent call, the CAF, and (most months) the household.
    month = entry
    benefit = (rent * Decimal("0.6")).quantize(Decimal("1"))
    last_payment = None
    while month < (exit_ or _months(today.replace(day=1), 1)):
        counter["entry"] += 1
        out.row("mouvements", f"{pre}E{counter['entry']:08d}", contract, month.isoformat(), "appel",
                f"{rent + charges:.2f}", "", f"{month:%Y-%m}", "")  # fmt: skip
        reversible = month + datetime.timedelta(days=3) <= today
        if rng.random() < 0.005 and reversible:  # a call issued twice, the duplicate reversed
            _reversed_call(out, counter, pre, contract, month, rent + charges)
        caf_day = month + datetime.timedelta(days=4)
        if caf_day <= today:
            counter["entry"] += 1
            out.row("mouvements", f"{pre}E{counter['entry']:08d}", contract, caf_day.isoformat(),
                    "apl", f"{benefit:.2f}", "caf", f"{month:%Y-%m}", "")  # fmt: skip
        pay_day = month + datetime.timedelta(days=9)
        if pay_day <= today and rng.random() < 0.9:
            counter["entry"] += 1
            last_payment = f"{pre}E{counter['entry']:08d}"
            amount = rent + charges - benefit
            out.row(
                "mouvements",
                last_payment,
                contract,
                pay_day.isoformat(),
                "paiement",
                f"{amount:.2f}",
                rng.choice(["virement", "especes", "cheque"]),
                "",
                "",
            )
            if rng.random() < 0.01 and pay_day + datetime.timedelta(days=1) <= today:
                counter["entry"] += 1
                out.row("mouvements", f"{pre}E{counter['entry']:08d}", contract,
                        (pay_day + datetime.timedelta(days=1)).isoformat(), "annulation",
                        f"{amount:.2f}", "", "", last_payment)  # fmt: skip
        month = _months(month, 1)
    if exit_ is not None and exit_ + datetime.timedelta(days=3) <= today and rng.random() < 0.1:
        # The exit was recorded late: the month after it had been called, then reversed.
        _reversed_call(out, counter, pre, contract, exit_, rent + charges)
    if rng.random() < 0.05 and _months(entry, 3) <= today:
        counter["plan"] += 1
        start = _months(entry, 3)
        out.row("plans_apurement", f"{pre}PL{counter['plan']:05d}", ref, start.isoformat(),
                "300.00", "50.00", "actif" if exit_ is None else "solde")  # fmt: skip
    signed = entry + datetime.timedelta(days=7)
    if signed <= today and (exit_ is None or signed < exit_):
        counter["support"] += 1
        support = f"{pre}A{counter['support']:06d}"
        referent = rng.choice([shape.staff_email] * 8 + [FORMER_COLLEAGUE, ""])
        out.row("accompagnements", support, ref, signed.isoformat(),
                _months(signed, 6).isoformat(), "budget;logement", referent)  # fmt: skip
        renewal = _months(signed, 5)
        if renewal <= today and (exit_ is None or renewal < exit_):
            out.row("avenants_accompagnement", support, renewal.isoformat(),
                    _months(signed, 12).isoformat())  # fmt: skip
    for visit in range(shape.visits):
        day = entry + datetime.timedelta(days=20 + shape.visit_every * visit)
        if day > today or (exit_ and day >= exit_):
            break
        staff = shape.staff_email if visit % 10 != 3 else f"{shape.staff_email};{FORMER_COLLEAGUE}"
        out.row("interactions", ref, day.isoformat(),
                rng.choice(["visite_domicile", "rdv_bureau", "telephone"]),
                rng.choice(["budget", "logement;sante", ""]), staff, 45, "")  # fmt: skip


def _reversed_call(out, counter, pre, contract, month: datetime.date, amount) -> None:
    counter["entry"] += 1
    call = f"{pre}E{counter['entry']:08d}"
    out.row("mouvements", call, contract, month.isoformat(), "appel", f"{amount:.2f}", "",
            f"{month:%Y-%m}", "")  # fmt: skip
    counter["entry"] += 1
    out.row("mouvements", f"{pre}E{counter['entry']:08d}", contract,
            (month + datetime.timedelta(days=3)).isoformat(), "annulation", f"{amount:.2f}", "",
            "", call)  # fmt: skip


def to_xlsx(folder: Path) -> Path:
    """The same workbook as one ``.xlsx`` file (text cells), beside the folder."""

    book = Workbook(write_only=True)
    for sheet in spec.SHEETS:
        worksheet = book.create_sheet(sheet.name)
        with (folder / f"{sheet.name}.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                worksheet.append([cell or None for cell in row])
    path = folder.with_suffix(".xlsx")
    book.save(path)
    return path


class _Rollback(Exception):
    pass


@dataclass
class ImportTiming:
    reading: float = 0.0
    seconds: float = 0.0  # reading, validation and writing
    created: int = 0
    again: float = 0.0  # a second import of the same workbook
    changed: int = 0  # rows the second import created or updated (0: a no-op)


def measure_import(
    households: int,
    seed: int,
    *,
    years: int = 5,
    keep: bool = False,
    xlsx: bool = False,
    twice: bool = False,
    log=print,
) -> ImportTiming:
    """Time the import of a synthetic workbook into a new organisation with one head (the
    interactions' staff), in a transaction rolled back at the end unless ``keep``."""
    started = time.monotonic()
    folder = synthetic_workbook(households, seed, years=years)
    source = to_xlsx(folder) if xlsx else folder
    log(f"Classeur synthétique ({folder}) construit en {time.monotonic() - started:.1f} s :")
    log((folder / "README.txt").read_text(encoding="utf-8").strip())
    timing = ImportTiming()
    try:
        with transaction.atomic():
            suffix = get_random_string(8).lower()
            organisation = Organisation.objects.create(
                name=f"Banc d’essai {suffix}", slug=f"essai-{suffix}", departement="71"
            )
            user, _ = User.objects.get_or_create(email=STAFF_EMAIL)
            with organisation_transaction(organisation):
                Membership.objects.create(organisation=organisation, user=user, role=Role.HEAD)
                started = time.monotonic()
                book = read_path(source)
                timing.reading = time.monotonic() - started
                analysis = import_workbook(book, organisation)
                with connection.cursor() as cursor:
                    # What the commit would check (deferred foreign keys): counted.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                timing.seconds = time.monotonic() - started
                timing.created = sum(sheet["create"] for sheet in analysis.preview())
                if twice:
                    started = time.monotonic()
                    again = import_workbook(read_path(source), organisation)
                    timing.again = time.monotonic() - started
                    timing.changed = sum(s["create"] + s["update"] for s in again.preview())
            if not keep:
                raise _Rollback
    except _Rollback:
        pass
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if xlsx:
            source.unlink(missing_ok=True)
    return timing
