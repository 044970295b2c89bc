"""scipy.stats.ks_2samp on the same data driftline's ks gets: two little-endian float64 arrays
(n1 then n2 values) in one file. Prints JSON: median ms over the repetitions, statistic, p-value."""
import json, sys, time
import numpy as np
from scipy import stats

path, n1, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = np.fromfile(path, dtype="<f8")
a, b = data[:n1], data[n1:]
stats.ks_2samp(a[:100], b[:100])  # warm-up (imports, first call)
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    r = stats.ks_2samp(a, b)
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"median_ms": times[len(times) // 2], "statistic": float(r.statistic), "p_value": float(r.pvalue), "scipy": __import__("scipy").__version__}))
