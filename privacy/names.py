"""Names in free text: the words of a household's names, found in a text whatever their case
and accents, and taken out of it (anonymisation; others' names in an export)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from households.models import Person, fold

# In place of a name found in a text that is not the household's own (an incident of the
# unit, a workshop), or, in an export, of someone else's name.
NAME_REMOVED = "[nom retiré]"

# Parts of names too common as words to be taken out of a text on their own.
PARTICLES = frozenset(
    {"abd", "abu", "ben", "bin", "bou", "del", "della", "den", "der", "des", "dos", "ibn"}
    | {"les", "los", "mac", "van", "von"}
)


def name_tokens(names: Iterable[str]) -> set[str]:
    """The words of ``names`` looked for in a text, folded (lower case, no accents): each part
    of three letters or more but particles, and a whole name of two ("Ly")."""
    tokens = set()
    for name in names:
        parts = re.findall(r"\w+", fold(name))
        if len(parts) == 1 and len(parts[0]) == 2:
            tokens.add(parts[0])
        tokens.update(part for part in parts if len(part) >= 3 and part not in PARTICLES)
    return tokens


def person_tokens(persons: Iterable[Person]) -> set[str]:
    return name_tokens(name for person in persons for name in (person.last_name, person.first_name))


def _folded_with_origins(text: str) -> tuple[str, list[int]]:
    """``text`` folded as ``fold`` does (but spaces), and for each folded character the index
    of the character of ``text`` it comes from."""
    chars, origins = [], []
    for index, char in enumerate(text):
        for folded in unicodedata.normalize("NFKD", char).lower():
            if not unicodedata.combining(folded):
                chars.append(folded)
                origins.append(index)
    return "".join(chars), origins


def remove_names(text: str, tokens: set[str]) -> str:
    """``text`` with every word among ``tokens`` (whatever its case and accents) replaced by
    NAME_REMOVED; a run of them ("Zébulon-Témoin", "Ana Lima") by one. A common word that is
    also a name goes too: for privacy, the safer mistake."""
    if not text or not tokens:
        return text
    folded, origins = _folded_with_origins(text)
    spans: list[list[int]] = []
    for match in re.finditer(r"\w+", folded):
        if match.group() not in tokens:
            continue
        start, end = origins[match.start()], origins[match.end() - 1] + 1
        if spans and not text[spans[-1][1] : start].strip(" -'’"):
            spans[-1][1] = end
        else:
            spans.append([start, end])
    if not spans:
        return text
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], NAME_REMOVED]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
