"""The energy class of a home (its DPE) and what the climate law makes of it."""

from __future__ import annotations

import datetime

from housing.models import EnergyClass

# The climate law (loi Climat et résilience, 2021): a home of these classes is no longer
# « décent », so it may not be let (a new lease or a renewal) from these dates.
LETTING_BANNED_FROM: dict[str, datetime.date] = {
    EnergyClass.G: datetime.date(2025, 1, 1),
    EnergyClass.F: datetime.date(2028, 1, 1),
    EnergyClass.E: datetime.date(2034, 1, 1),
}


def letting_banned(energy_class: str, on: datetime.date) -> bool:
    """Whether a home of ``energy_class`` may no longer be let on ``on``."""
    start = LETTING_BANNED_FROM.get(energy_class)
    return start is not None and on >= start


def letting_ban_warning(energy_class: str, on: datetime.date) -> str:
    """The French sentence a user reads before letting such a home ('' when it may be)."""
    if not letting_banned(energy_class, on):
        return ""
    since = LETTING_BANNED_FROM[energy_class]
    return (
        f"Logement classé {energy_class} au DPE : la loi Climat et résilience en interdit la "
        f"location depuis le {since:%d/%m/%Y} (logement non décent)."
    )
