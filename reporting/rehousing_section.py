"""« Parcours de relogement »: the road out of the report's households (social-housing
demands, proposals, time from the first proposal to the exit, follow-ups after the exit), a
section of the PDF and the workbook only.

Its figures are not part of the JSON form of shared/docs/annual-report.md (a contract that
does not change): ``rehousing_figures(scope)`` computes them beside it, as plain values, and
the renderers take them as their own argument (``outputs.render(..., rehousing=...)``): a
version's PDF and workbook (``services.version_build``) have the section. A document rendered
from the figures alone (the report page, ``manage.py annual_report``) has no such section.
The definitions are those of ``rehousing.figures``, over the report's households
(``reporting.definitions``); each table's note says them in French.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from iml import codes
from iml.codes import FOLLOW_UP_MONTHS
from rehousing.figures import LAST_MILESTONE, rehousing_counts
from reporting import definitions as d
from reporting.compute import DAYS_PER_MONTH, percent, rate
from reporting.definitions import ReportScope
from reporting.document import (
    Cell,
    Row,
    Section,
    Table,
    _choices,
    count_of,
    fr_date,
    fr_int,
)

SECTION_KEY = "relogement"
SECTION_NUMBER = 13
SECTION_TITLE = "Parcours de relogement"
SECTION_SHEET = "13. Parcours de relogement"


def rehousing_figures(scope: ReportScope) -> dict[str, Any]:
    """The section's figures for the report's dispositif and period (four queries), as plain
    values (JSON-serialisable; milestones as strings): averages and shares rounded like the
    report's (one decimal, half away from zero), ``None`` when there is nothing to average."""
    counts = rehousing_counts(
        households=d.households_in(scope),
        present_at_end=d.households_present_at_end(scope),
        exited=d.households_exited(scope),
        start=scope.start,
        end=scope.end,
    )
    exited, days = counts.exited_with_proposal, counts.days_first_proposal_to_exit
    contacted = counts.last_milestone_contacted
    return {
        "end": scope.end.isoformat(),
        "demands": {
            "present_at_end": counts.present_at_end,
            "active_at_end": counts.demands_active_at_end,
            "active_share": percent(counts.demands_active_at_end, counts.present_at_end)
            if counts.present_at_end
            else None,
        },
        "proposals": {
            "received": counts.proposals_received,
            "accepted": counts.proposals_accepted,
            "accepted_not_attributed": counts.proposals_accepted_not_attributed,
            "refused": counts.proposals_refused,
            "waiting": counts.proposals_waiting,
            "refused_by_reason": dict(counts.refused_by_reason),
        },
        "first_proposal_to_exit": {
            "households": exited,
            "average_days": rate(Fraction(days, exited)) if exited else None,
            "average_months": rate(Fraction(days) / DAYS_PER_MONTH / exited) if exited else None,
        },
        "follow_ups": {
            "by_milestone": {str(months): n for months, n in counts.follow_ups.items()},
            "last_milestone": {
                "months": LAST_MILESTONE,
                "contacted": contacted,
                "housed": counts.last_milestone_housed,
                "not_housed": counts.last_milestone_not_housed,
                "unknown": counts.last_milestone_unknown,
                "housed_share": percent(counts.last_milestone_housed, contacted)
                if contacted
                else None,
            },
        },
    }


def _s(number: int) -> str:
    """The plural's « s » of a French adjective or participle."""
    return "s" if number > 1 else ""


def _row(key: str, label: str, value: Any, kind: str = "count", *, total: bool = False) -> Row:
    # No path: these figures are not in the JSON form, the page has no list behind them.
    return Row(key, label, [Cell(value, kind)], total=total)


def _table(key: str, title: str, rows: list[Row], *, note: str = "", header: str = "") -> Table:
    return Table(
        key=key,
        title=title,
        columns=["Nombre"],
        rows=rows,
        label_header=header or "Libellé",
        note=note,
        compare=False,
    )


def rehousing_section(rehousing: dict[str, Any]) -> Section:
    """The section from ``rehousing_figures``' values (no database)."""
    end = rehousing.get("end")
    at_end = f"au {fr_date(end)}" if end else "en fin de période"
    by_end = f"au plus tard le {fr_date(end)}" if end else "au plus tard en fin de période"
    demands = rehousing.get("demands") or {}
    proposals = rehousing.get("proposals") or {}
    delay = rehousing.get("first_proposal_to_exit") or {}
    follow_ups = rehousing.get("follow_ups") or {}
    last = follow_ups.get("last_milestone") or {}
    months = last.get("months", LAST_MILESTONE)

    demand_table = _table(
        "rehousing-demands",
        "Demandes de logement social",
        [
            _row("present_at_end", f"Ménages présents {at_end}", demands.get("present_at_end")),
            _row(
                "active_at_end",
                f"dont avec une demande de logement social active {at_end}",
                demands.get("active_at_end"),
            ),
            _row(
                "active_share",
                "Part des ménages présents avec une demande active",
                demands.get("active_share"),
                "rate",
            ),
        ],
        note=f"Demande active {at_end} : déposée ce jour ou avant, non close ce jour ou avant, "
        "et pas encore caduque (elle l’est un an après son dépôt ou son dernier "
        "renouvellement).",
    )
    proposal_table = _table(
        "rehousing-proposals",
        "Propositions de logement reçues dans la période",
        [
            _row("received", "Propositions reçues", proposals.get("received")),
            _row(
                "accepted",
                "dont acceptées par le ménage et attribuées (rang 1, ou bailleur privé)",
                proposals.get("accepted"),
            ),
            _row(
                "accepted_not_attributed",
                "dont acceptées par le ménage, sans attribution de la commission",
                proposals.get("accepted_not_attributed"),
            ),
            _row("refused", "dont refusées par le ménage", proposals.get("refused")),
            _row(
                "waiting",
                f"dont en attente de la réponse du ménage {at_end}",
                proposals.get("waiting"),
            ),
        ],
        note="Propositions dont la date de réception est dans la période ; leur état est celui "
        f"{at_end} (une réponse donnée après cette date est comptée en attente). Les quatre "
        "états font le total. Sans attribution : commission en attente, ajournement, refus "
        "ou attribution en rang 2 ou suivant.",
    )
    reasons = proposals.get("refused_by_reason") or {}
    labels = _choices(codes.RefusalReason)
    refusal_rows = [_row(code, label, reasons.get(code, 0)) for code, label in labels.items()]
    refusal_rows.append(
        _row("total", "Total", sum(int(reasons.get(code) or 0) for code in labels), total=True)
    )
    refusal_table = _table(
        "rehousing-refusals",
        "Refus des ménages, par motif",
        refusal_rows,
        header="Motif",
        note=f"Propositions reçues dans la période et refusées par le ménage {by_end}.",
    )
    delay_table = _table(
        "rehousing-delay",
        "De la première proposition à la sortie",
        [
            _row(
                "households",
                "Ménages sortis dans la période après au moins une proposition",
                delay.get("households"),
            ),
            _row("average_days", "Délai moyen en jours", delay.get("average_days"), "decimal"),
            _row("average_months", "Délai moyen en mois", delay.get("average_months"), "months"),
        ],
        note="Du jour de réception de la première proposition (quelle qu’en soit l’issue, "
        "reçue au plus tard le jour de la sortie) à la date de sortie ; un mois compte "
        "30,4375 jours.",
    )
    by_milestone = follow_ups.get("by_milestone") or {}
    milestone_rows = [
        _row(str(m), f"Suivis à {m} mois", by_milestone.get(str(m), 0)) for m in FOLLOW_UP_MONTHS
    ]
    milestone_rows.append(
        _row(
            "total",
            "Total",
            sum(int(by_milestone.get(str(m)) or 0) for m in FOLLOW_UP_MONTHS),
            total=True,
        )
    )
    follow_up_table = _table(
        "rehousing-follow-ups",
        "Suivis après la sortie enregistrés dans la période",
        milestone_rows,
        header="Échéance",
        note="Suivis dont la date de contact est dans la période, quelle que soit la date de "
        "sortie du ménage.",
    )
    last_table = _table(
        "rehousing-last-milestone",
        f"Situation des ménages {months} mois après la sortie",
        [
            _row("contacted", "Ménages contactés", last.get("contacted")),
            _row("housed", "dont toujours dans leur logement", last.get("housed")),
            _row("not_housed", "dont plus dans leur logement", last.get("not_housed")),
            _row("unknown", "dont situation non renseignée", last.get("unknown")),
            _row(
                "housed_share",
                "Part des ménages contactés toujours dans leur logement",
                last.get("housed_share"),
                "rate",
            ),
        ],
        note=f"Suivis à {months} mois dont la date de contact est dans la période.",
    )
    received = int(proposals.get("received") or 0)
    accepted = int(proposals.get("accepted") or 0)
    active = int(demands.get("active_at_end") or 0)
    present = int(demands.get("present_at_end") or 0)
    paragraphs = [
        f"Ménages du dispositif : {count_of(received, 'proposition', 'propositions')} de "
        f"logement reçue{_s(received)} dans la période, dont {fr_int(accepted)} "
        f"acceptée{_s(accepted)} et attribuée{_s(accepted)} ; "
        f"{count_of(active, 'demande', 'demandes')} de logement social active{_s(active)} "
        f"{at_end} pour {count_of(present, 'ménage présent', 'ménages présents')}."
    ]
    return Section(
        key=SECTION_KEY,
        number=SECTION_NUMBER,
        title=SECTION_TITLE,
        sheet=SECTION_SHEET,
        paragraphs=paragraphs,
        tables=[
            demand_table,
            proposal_table,
            refusal_table,
            delay_table,
            follow_up_table,
            last_table,
        ],
    )
