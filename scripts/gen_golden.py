#!/usr/bin/env python3
"""Generate the golden vectors that src/stats is tested against (test/fixtures/golden/*.json).

Usage: python3 scripts/gen_golden.py   (or: npm run golden)

On first run this creates a virtualenv at scripts/.venv (gitignored), installs the pinned numpy
and scipy from PyPI into it, and re-executes itself with that interpreter. Every random sample
uses a fixed seed, and every input a TypeScript test needs is stored in the fixture itself
(continuous samples rounded to 6 decimals: the rounded values ARE the inputs on both sides), so
the tests depend on neither Python nor ../shared at run time.
"""

import json
import os
import subprocess
import sys
import warnings

NUMPY_VERSION = "2.4.6"
SCIPY_VERSION = "1.17.1"

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
VENV_PY = os.path.join(VENV, "bin", "python")
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "golden")
SHARED = os.path.join(ROOT, "..", "shared", "data", "nannyml")


def ensure_venv():
    """Re-exec inside scripts/.venv with the pinned numpy/scipy, creating it when needed."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PY):
        print(f"creating virtualenv {VENV}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    subprocess.check_call(
        [VENV_PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"numpy=={NUMPY_VERSION}", f"scipy=={SCIPY_VERSION}"]
    )
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(__file__)] + sys.argv[1:])


ensure_venv()

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy import stats, special  # noqa: E402
from scipy.spatial import distance  # noqa: E402

assert np.__version__ == NUMPY_VERSION, np.__version__
assert scipy.__version__ == SCIPY_VERSION, scipy.__version__

META = {
    "generator": "scripts/gen_golden.py",
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "python": sys.version.split()[0],
}


def r6(x):
    """Round to 6 decimals and return a list of Python floats (shortest repr round-trips in JS)."""
    return [float(v) for v in np.round(np.asarray(x, dtype=np.float64), 6)]


def fl(x):
    return [float(v) for v in np.asarray(x, dtype=np.float64)]


def write(name, payload):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump({"meta": META, **payload}, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB)", file=sys.stderr)


# --------------------------------------------------------------------------------- KS + W1

def ks_case(name, ref, cur):
    ref = np.asarray(ref, dtype=np.float64)
    cur = np.asarray(cur, dtype=np.float64)
    n1, n2 = len(ref), len(cur)
    method = "exact" if max(n1, n2) <= 10000 else "asymptotic"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.ks_2samp(ref, cur, method="auto")
    if any("Exact calculation unsuccessful" in str(w.message) for w in caught):
        method = "asymptotic"
    return {
        "name": name,
        "reference": fl(ref),
        "current": fl(cur),
        "statistic": float(res.statistic),
        "pValue": float(res.pvalue),
        "method": method,
        "wasserstein": float(stats.wasserstein_distance(ref, cur)),
    }


def ks_cases_small_medium():
    rng = np.random.default_rng(20240601)
    cases = []
    for n in (5, 8, 13, 20, 50):
        a = np.round(rng.normal(0, 1, n), 6)
        b = np.round(rng.normal(0.4, 1, n + 3), 6)
        cases.append(ks_case(f"small normal n={n} m={n + 3}", a, b))
        c = np.round(rng.normal(0, 1, n), 6)
        cases.append(ks_case(f"small equal n=m={n}", a, c))
    for n in (6, 15, 40):
        a = rng.integers(0, 4, n).astype(float)
        b = rng.integers(0, 5, n + 7).astype(float)
        cases.append(ks_case(f"small ties n={n}", a, b))
    cases.append(ks_case("one value each, different", [1.0], [2.0]))
    cases.append(ks_case("one value each, equal", [3.5], [3.5]))
    cases.append(ks_case("one vs three", [0.0], [1.0, 2.0, 3.0]))
    same = np.round(rng.normal(0, 1, 200), 6)
    cases.append(ks_case("identical samples n=200", same, same.copy()))
    cases.append(ks_case("disjoint supports n=30 m=40", rng.uniform(0, 1, 30).round(6),
                         rng.uniform(2, 3, 40).round(6)))
    cases.append(ks_case("heavy ties integers 0..5 n=500 m=700",
                         rng.integers(0, 6, 500).astype(float), rng.integers(0, 6, 700).astype(float)))
    cases.append(ks_case("heavy ties integers 0..5 shifted n=m=600",
                         rng.integers(0, 6, 600).astype(float),
                         np.minimum(rng.integers(0, 6, 600) + rng.integers(0, 2, 600), 5).astype(float)))
    cases.append(ks_case("unequal sizes n=30 m=7000", r6(rng.normal(0, 1, 30)), r6(rng.normal(0.2, 1, 7000))))
    cases.append(ks_case("medium n=m=1000 null", r6(rng.normal(0, 1, 1000)), r6(rng.normal(0, 1, 1000))))
    cases.append(ks_case("medium n=m=1000 shifted", r6(rng.normal(0, 1, 1000)), r6(rng.normal(0.15, 1, 1000))))
    cases.append(ks_case("medium n=1000 m=1200 shifted", r6(rng.normal(0, 1, 1000)),
                         r6(rng.normal(0.1, 1.1, 1200))))
    cases.append(ks_case("medium n=m=10000 shifted", r6(rng.normal(0, 1, 10000)),
                         r6(rng.normal(0.03, 1, 10000))))
    cases.append(ks_case("medium n=10000 m=9000 shifted", r6(rng.normal(0, 1, 10000)),
                         r6(rng.normal(0.04, 1, 9000))))
    cases.append(ks_case("medium exponential n=3000 m=5000", r6(rng.exponential(1.0, 3000)),
                         r6(rng.exponential(1.1, 5000))))
    return cases


def ks_cases_large():
    rng = np.random.default_rng(777)
    cases = []
    cases.append(ks_case("large n=m=20000 null", r6(rng.normal(0, 1, 20000)), r6(rng.normal(0, 1, 20000))))
    cases.append(ks_case("large n=m=20000 shifted", r6(rng.normal(0, 1, 20000)),
                         r6(rng.normal(0.05, 1, 20000))))
    cases.append(ks_case("large n=20000 m=15000 scale", r6(rng.normal(0, 1, 20000)),
                         r6(rng.normal(0, 1.05, 15000))))
    cases.append(ks_case("large n=30 m=20000 (small effective n)", r6(rng.normal(0, 1, 30)),
                         r6(rng.normal(0.3, 1, 20000))))
    cases.append(ks_case("large n=m=10001 (half-even effective n)", r6(rng.normal(0, 1, 10001)),
                         r6(rng.normal(0.02, 1, 10001))))
    cases.append(ks_case("large n=m=100000 small shift", r6(rng.normal(0, 1, 100000)),
                         r6(rng.normal(0.01, 1, 100000))))
    return cases


def kstwo_grid():
    out = []
    for n in (1, 2, 5, 10, 50, 140, 141, 500, 1000, 5000, 10000, 50000, 100001):
        for z in (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0):
            x = z / np.sqrt(n)
            if x >= 1:
                continue
            out.append({"n": n, "x": float(x), "sf": float(stats.kstwo.sf(x, n)),
                        "cdf": float(stats.kstwo.cdf(x, n))})
        for x in (0.3, 0.5, 0.6, 0.9):
            out.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n)), "cdf": float(stats.kstwo.cdf(x, n))})
    smirnov = []
    for n in (1, 3, 10, 100, 1000, 20000):
        for x in (0.01, 0.05, 0.1, 0.3, 0.5, 0.8):
            smirnov.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})
    return out, smirnov


# ----------------------------------------------------------------------------- binned

def edges_of(ref, bins):
    qs = [k / bins for k in range(1, bins)]
    return np.unique(np.quantile(np.asarray(ref, dtype=np.float64), qs))


def binned_metrics(p, q):
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    pp = np.where(p == 0, 1e-4, p)
    qq = np.where(q == 0, 1e-4, q)
    psi = float(np.sum((qq - pp) * np.log(qq / pp)))
    js = float(distance.jensenshannon(p, q, base=2))
    hel = float(np.sqrt(max(1.0 - np.sum(np.sqrt(p * q)), 0.0)))
    linf = float(np.max(np.abs(p - q)))
    return {"psi": psi, "jensenShannon": js, "hellinger": hel, "linf": linf}


def binned_case(name, ref, cur, bins=10):
    ref = np.asarray(ref, dtype=np.float64)
    cur = np.asarray(cur, dtype=np.float64)
    e = edges_of(ref, bins)
    rc = np.bincount(np.searchsorted(e, ref, side="left"), minlength=len(e) + 1).astype(float)
    cc = np.bincount(np.searchsorted(e, cur, side="left"), minlength=len(e) + 1).astype(float)
    p = rc / rc.sum()
    q = cc / cc.sum()
    return {"name": name, "bins": bins, "reference": fl(ref), "current": fl(cur), "edges": fl(e),
            "refCounts": fl(rc), "curCounts": fl(cc), "p": fl(p), "q": fl(q), **binned_metrics(p, q)}


def binned_cases():
    rng = np.random.default_rng(4242)
    cases = [
        binned_case("normal vs shifted 10 bins", r6(rng.normal(0, 1, 5000)), r6(rng.normal(0.2, 1, 4000))),
        binned_case("normal null 10 bins", r6(rng.normal(0, 1, 5000)), r6(rng.normal(0, 1, 5000))),
        binned_case("exponential vs wider 20 bins", r6(rng.exponential(1, 3000)),
                    r6(rng.exponential(1.3, 3000)), bins=20),
        binned_case("5 bins, current outside reference range", r6(rng.uniform(0, 1, 1000)),
                    r6(rng.uniform(0.5, 2, 800)), bins=5),
        binned_case("integer ties 0..5 (edges dedup)", rng.integers(0, 6, 2000).astype(float),
                    rng.integers(0, 7, 2500).astype(float)),
        binned_case("constant reference (one edge)", np.full(100, 3.0), r6(rng.normal(3, 1, 100))),
        binned_case("small reference n=7", r6(rng.normal(0, 1, 7)), r6(rng.normal(0, 1, 11))),
        binned_case("one value per side", [1.5], [2.5]),
        binned_case("identical samples", np.arange(50, dtype=float), np.arange(50, dtype=float)),
        binned_case("values equal to edges", np.arange(1, 101, dtype=float),
                    np.arange(1, 101, dtype=float)[::3]),
    ]
    quantiles = []
    for n in (1, 2, 3, 7, 10, 101, 1000):
        x = np.sort(r6(rng.normal(0, 1, n)))
        qs = [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.7, 0.9, 0.95, 1.0]
        quantiles.append({"values": fl(x), "q": qs, "quantiles": fl(np.quantile(x, qs))})
    return cases, quantiles


# ------------------------------------------------------------------------ categorical

def chi2_case(name, ref, cur):
    ref = np.asarray(ref, dtype=np.float64)
    cur = np.asarray(cur, dtype=np.float64)
    keep = (ref + cur) > 0
    table = np.array([ref[keep], cur[keep]])
    if table.shape[1] >= 1:
        res = stats.chi2_contingency(table, correction=False)
        chi = {"statistic": float(res.statistic), "pValue": float(res.pvalue), "dof": int(res.dof)}
    p = ref / ref.sum()
    q = cur / cur.sum()
    return {"name": name, "refCounts": fl(ref), "curCounts": fl(cur), **chi, "p": fl(p), "q": fl(q),
            **binned_metrics(p, q)}


def categorical_cases():
    rng = np.random.default_rng(99)
    cases = [
        chi2_case("three categories mild change", [500, 300, 200], [480, 310, 210]),
        chi2_case("new category in current", [400, 350, 250, 0], [380, 300, 240, 80]),
        chi2_case("category missing in current", [400, 350, 250, 100], [420, 360, 270, 0]),
        chi2_case("column zero on both sides dropped", [10, 0, 30, 5], [12, 0, 25, 9]),
        chi2_case("single category (dof 0)", [100, 0], [50, 0]),
        chi2_case("large counts tiny p", [60000, 30000, 10000], [50000, 35000, 15000]),
        chi2_case("many categories", rng.integers(0, 200, 40).astype(float) + 1,
                  rng.integers(0, 200, 40).astype(float) + 1),
        chi2_case("non-integer counts", [10.5, 20.25, 5.0], [12.0, 18.5, 7.75]),
        chi2_case("identical counts", [7, 8, 9], [7, 8, 9]),
    ]
    gamma = []
    for a in (0.5, 1.0, 1.5, 2.0, 4.5, 10.0, 49.5, 500.0, 5000.0):
        for x in (1e-3, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0, 600.0, 5500.0):
            gamma.append({"a": a, "x": x, "q": float(special.gammaincc(a, x)),
                          "p": float(special.gammainc(a, x))})
    return cases, gamma


# -------------------------------------------------------------------- California housing

CAL_COLUMNS = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude"]


def read_csv_columns(path, columns):
    import csv
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {c: np.array([float(r[c]) for r in rows if r[c] != ""], dtype=np.float64) for c in columns}


def california():
    ref = read_csv_columns(os.path.join(SHARED, "california_housing_reference.csv"), CAL_COLUMNS)
    cur = read_csv_columns(os.path.join(SHARED, "california_housing_analysis.csv"), CAL_COLUMNS)
    cols = []
    for c in CAL_COLUMNS:
        kc = ks_case(c, ref[c], cur[c])
        bc = binned_case(c, ref[c], cur[c])
        cols.append({
            "name": c, "reference": kc["reference"], "current": kc["current"],
            "statistic": kc["statistic"], "pValue": kc["pValue"], "method": kc["method"],
            "wasserstein": kc["wasserstein"], "edges": bc["edges"], "refCounts": bc["refCounts"],
            "curCounts": bc["curCounts"], "psi": bc["psi"], "jensenShannon": bc["jensenShannon"],
            "hellinger": bc["hellinger"], "linf": bc["linf"],
        })
    return cols


def correction_cases():
    """Multiple-testing corrections of p-values across features: scipy's Benjamini-Hochberg
    (scipy.stats.false_discovery_control) and Bonferroni (p*m capped at 1, which is what
    statsmodels' multipletests(method='bonferroni') gives)."""
    rng = np.random.default_rng(20261123)
    cases = []
    for name, p in [
        ("mixed", np.concatenate([rng.uniform(0, 1, 12), rng.uniform(0, 0.01, 4)])),
        ("ties", np.array([0.01, 0.01, 0.02, 0.5, 0.5, 0.04])),
        ("single", np.array([0.03])),
        ("tiny", np.array([1e-300, 1e-12, 0.2, 0.9])),
    ]:
        cases.append({
            "name": name, "p": fl(p),
            "bh": fl(scipy.stats.false_discovery_control(p, method="bh")),
            "bonferroni": fl(np.minimum(1.0, p * len(p))),
        })
    return cases


def auc_cases():
    """ROC AUC as U / (n_pos * n_neg), with U from scipy.stats.mannwhitneyu (ties: average ranks)."""
    rng = np.random.default_rng(7)
    cases = []
    for name, n, ties in [("small", 12, False), ("ties", 200, True), ("medium", 2000, False)]:
        y = (rng.uniform(size=n) < 0.4).astype(int)
        y[0], y[1] = 0, 1
        s = rng.normal(size=n) + 0.8 * y
        if ties:
            s = np.round(s, 1)
        u = scipy.stats.mannwhitneyu(s[y == 1], s[y == 0], alternative="two-sided").statistic
        cases.append({"name": name, "scores": fl(s), "positive": [int(v) for v in y], "auc": float(u / (y.sum() * (n - y.sum())))})
    return cases


def weighted_wasserstein_cases():
    """W1 between a sample and a weighted distribution (a quantile sketch's view):
    scipy.stats.wasserstein_distance(u, values, v_weights=weights)."""
    rng = np.random.default_rng(11)
    cases = []
    for name, n, m in [("small", 20, 7), ("medium", 3000, 400)]:
        u = np.sort(np.round(rng.normal(size=n), 6))
        values = np.unique(np.round(rng.normal(0.3, 1.2, size=m), 6))
        weights = rng.integers(1, 9, size=len(values)).astype(float)
        cases.append({"name": name, "u": fl(u), "values": fl(values), "weights": fl(weights),
                      "w1": float(scipy.stats.wasserstein_distance(u, values, v_weights=weights))})
    return cases


def main():
    write("weighted_wasserstein.json", {"cases": weighted_wasserstein_cases()})
    write("auc.json", {"cases": auc_cases()})
    write("corrections.json", {"cases": correction_cases()})
    write("ks_small_medium.json", {"cases": ks_cases_small_medium()})
    write("ks_large.json", {"cases": ks_cases_large()})
    kstwo, smirnov = kstwo_grid()
    write("kolmogorov.json", {"kstwo": kstwo, "smirnov": smirnov})
    bcases, quantiles = binned_cases()
    write("binned.json", {"cases": bcases, "quantiles": quantiles})
    ccases, gamma = categorical_cases()
    write("categorical.json", {"cases": ccases, "gammainc": gamma})
    write("california_housing.json", {
        "source": "../shared/data/nannyml/california_housing_{reference,analysis}.csv",
        "columns": california(),
    })


if __name__ == "__main__":
    main()
