"""Lot numbers 'AAA999/9' for both exports, with the real files' spelling variants.

Made from a permutation of the line number, so no two generated lines are equal by chance and the duplicate
count is exact. Variants: a space before the slash, and '/S' instead of '/9'.
"""

import itertools

import numpy as np

from synapse_pipeline.sample_data.lines import text_table

LOT_SPACE = 26**3 * 1_000 * 10
LOT_SPACE_SHARE, LOT_LETTER_SHARE = 0.03, 0.3  # the letter variant applies to lots ending in 9 only


class Lots:
    """Lot numbers 'AAA999/9' from a permutation of line numbers, as two text pieces (letters, rest + '|')."""

    def __init__(self, rng: np.random.Generator) -> None:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        self.letters = text_table(["".join(t) for t in itertools.product(letters, repeat=3)])
        rest: list[str] = []
        flags = (False, True)
        for number, digit, space, letter in itertools.product(range(1_000), range(10), flags, flags):
            suffix = "S" if letter and digit == 9 else str(digit)
            rest.append(f"{number:03d}{' ' if space else ''}/{suffix}|")
        self.rest = text_table(rest)
        while True:  # a multiplier coprime with LOT_SPACE = 2**7 * 5**4 * 13**3 makes a permutation
            self.multiplier = int(rng.integers(LOT_SPACE // 3, LOT_SPACE))
            if self.multiplier % 2 and self.multiplier % 5 and self.multiplier % 13:
                break
        self.offset = int(rng.integers(0, LOT_SPACE))

    def pieces(self, rng: np.random.Generator, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Letters and the rest of the lots of lines [start, stop)."""
        code = (np.arange(start, stop, dtype=np.int64) * self.multiplier + self.offset) % LOT_SPACE
        size = stop - start
        space = rng.random(size) < LOT_SPACE_SHARE
        letter = rng.random(size) < LOT_LETTER_SHARE
        rest = (code % 10_000) * 4 + space * 2 + letter
        return self.letters[code // 10_000], self.rest[rest]
