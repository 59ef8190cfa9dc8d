"""The organisation's structure: dispositifs, logements (with their landlords), chambres.

Provides ``dispositif_codes``, ``unit_info`` and ``room_unit``: the dispositifs, units and
rooms of the workbook and the organisation, for the sheets that refer to them.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from housing.models import HousingUnit, Landlord, Room
from iml.formats import fr_date as _d
from iml.models import DEFAULT_AGE_BRACKETS, DISPOSITIF_CODE, Dispositif, parse_age_brackets
from workbook.validate.plan import LandlordName, Link, Planner

_DISPOSITIF_CODE = re.compile(DISPOSITIF_CODE)


@dataclass(slots=True)
class UnitInfo:
    dispositif: str | None
    captation: datetime.date | None
    returned: datetime.date | None


class OrganisationChecks(Planner):
    def load_organisation(self) -> None:
        pks = self.result.pks
        self.dispositifs = {d.code: d for d in Dispositif.objects.all()}
        pks["dispositifs"] = {code: d.pk for code, d in self.dispositifs.items()}
        self.dispositif_code = {d.pk: code for code, d in self.dispositifs.items()}

        landlords = list(Landlord.objects.all())
        self.result.landlords = {landlord.name: landlord for landlord in landlords}
        self.landlord_names = {landlord.pk: landlord.name for landlord in landlords}

        self.units = {u.reference: u for u in HousingUnit.objects.all()}
        pks["logements"] = {ref: u.pk for ref, u in self.units.items()}
        self.unit_ref = {u.pk: ref for ref, u in self.units.items()}

        self.rooms = {r.reference: r for r in Room.objects.all()}
        pks["chambres"] = {ref: r.pk for ref, r in self.rooms.items()}
        self.room_ref = {r.pk: ref for ref, r in self.rooms.items()}

    # -- dispositifs --

    def check_dispositifs(self) -> None:
        sheet = "dispositifs"
        self.dispositif_codes = set(self.dispositifs)
        for row in self.sheet_rows(sheet):
            code = self.unique(sheet, row, "code")
            if code is None:
                continue
            self.dispositif_codes.add(code)
            if _DISPOSITIF_CODE.fullmatch(code) is None:
                self.error(
                    sheet,
                    row.number,
                    "code",
                    "lettres, chiffres, tirets, points ou soulignés, sans espace",
                )
                continue
            if any(row.get(column) is None for column in ("name", "category", "zone")):
                continue
            fields = {
                "code": code,
                "name": row.get("name"),
                "category": row.get("category"),
                "zone": row.get("zone"),
            }
            if self.has(sheet, "funder"):
                fields["funder"] = row.get("funder", "")
            if self.has(sheet, "places"):
                fields["places"] = row.get("places", 0)
            if self.has(sheet, "report_start_month"):
                fields["report_start_month"] = row.get("report_start_month", 1)
            if self.has(sheet, "age_brackets"):
                brackets = row.get("age_brackets") or DEFAULT_AGE_BRACKETS
                try:
                    parse_age_brackets(brackets)
                except ValidationError as error:
                    self.error(sheet, row.number, "age_brackets", " ".join(error.messages))
                    continue
                fields["age_brackets"] = brackets
            if not row.ok(*fields):
                continue
            self.plan(sheet, row, code, self.dispositifs.get(code), fields)

    # -- logements --

    def check_units(self) -> None:
        sheet = "logements"
        self.unit_info: dict[str, UnitInfo] = {
            ref: UnitInfo(
                self.dispositif_code.get(u.dispositif_id), u.captation_date, u.return_date
            )
            for ref, u in self.units.items()
        }
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            obj = self.units.get(ref)
            dispositif = self.known(sheet, row, "dispositif", "dispositifs", self.dispositif_codes)
            info = UnitInfo(dispositif, row.get("captation_date"), row.get("return_date"))
            if obj is not None and not self.has(sheet, "return_date"):
                info.returned = obj.return_date
            self.unit_info[ref] = info
            fields: dict[str, Any] = {"reference": ref}
            if dispositif is not None:
                fields["dispositif"] = Link("dispositifs", dispositif)
            for column in (
                "address",
                "postcode",
                "city",
                "typology",
                "places",
                "parc",
                "management_mode",
                "captation_date",
            ):
                fields[column] = row.get(column)
            optional = {
                "sector": "",
                "anah_convention": "",
                "colocation": False,
                "rent": None,
                "charges": None,
                "return_date": None,
                "return_reason": "",
            }
            for column, default in optional.items():
                if self.has(sheet, column):
                    fields[column] = row.get(column, default)
            if self.has(sheet, "landlord"):
                name = row.get("landlord")
                fields["landlord"] = LandlordName(name, row.get("parc")) if name else None
            effective = {
                "return_date": obj.return_date if obj else None,
                "return_reason": obj.return_reason if obj else "",
                "captation_date": fields["captation_date"],
            }
            effective.update({k: v for k, v in fields.items() if k in effective})
            ok = True
            if bool(effective["return_date"]) != bool(effective["return_reason"]):
                column = "return_reason" if effective["return_date"] else "return_date"
                if row.ok("return_date", "return_reason"):
                    self.error(
                        sheet,
                        row.number,
                        column,
                        "la date et le motif de restitution vont ensemble",
                    )
                ok = False
            if (
                effective["return_date"]
                and effective["captation_date"]
                and effective["return_date"] < effective["captation_date"]
            ):
                self.error(
                    sheet,
                    row.number,
                    "return_date",
                    f"la restitution ({_d(effective['return_date'])}) précède la captation "
                    f"({_d(effective['captation_date'])})",
                )
                ok = False
            if not ok or dispositif is None or row.bad:
                continue
            if fields.get("landlord") is not None:
                landlord = fields["landlord"]
                if landlord.name not in self.result.landlords:
                    self.result.new_landlords.setdefault(landlord.name, landlord.kind)
            self.plan(sheet, row, ref, obj, fields)

    # -- chambres --

    def check_rooms(self) -> None:
        sheet = "chambres"
        self.room_unit: dict[str, str | None] = {
            ref: self.unit_ref.get(room.unit_id) for ref, room in self.rooms.items()
        }
        for row in self.sheet_rows(sheet):
            ref = self.unique(sheet, row, "ref")
            if ref is None:
                continue
            unit = self.known(sheet, row, "logement", "logements", self.unit_info)
            self.room_unit[ref] = unit
            if unit is None or row.bad:
                continue
            fields: dict[str, Any] = {"reference": ref, "unit": Link("logements", unit)}
            if self.has(sheet, "places"):
                fields["places"] = row.get("places", 1)
            self.plan(sheet, row, ref, self.rooms.get(ref), fields)
