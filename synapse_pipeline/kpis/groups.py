"""Product groups: estoque's `Zincado` and faturamento's `ZINCADO` are one group, compared case- and accent-blind."""

import unicodedata
from collections.abc import Iterable

GRUPO_PRODUTO = "grupo_produto"


def group_key(name: str) -> str:
    """Case- and accent-insensitive key of a product group."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.upper().split())


def group_names(spellings: Iterable[str]) -> dict[str, str]:
    """One display name per group: the upper-case spelling with its accents, whatever file it came from."""
    by_key: dict[str, list[str]] = {}
    for spelling in spellings:
        by_key.setdefault(group_key(spelling), []).append(spelling)
    names = {}
    for variants in by_key.values():
        display = sorted((-sum(not c.isascii() for c in v), v.upper()) for v in variants)[0][1]
        names.update({v: display for v in variants})
    return names
