"""NannyML's UnivariateDriftCalculator on a reference/analysis CSV pair: fit on the reference,
calculate on the analysis set, one chunk = the whole set, continuous methods jensen_shannon and
kolmogorov_smirnov. Prints JSON timings (imports excluded)."""
import json, sys, time

t_import = time.perf_counter()
import pandas as pd
import nannyml as nml
import_s = time.perf_counter() - t_import

ref_path, cur_path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
ref = pd.read_csv(ref_path)
cur = pd.read_csv(cur_path)
t1 = time.perf_counter()
calc = nml.UnivariateDriftCalculator(
    column_names=list(ref.columns),
    continuous_methods=["jensen_shannon", "kolmogorov_smirnov"],
    chunk_number=1,
)
calc.fit(ref)
t2 = time.perf_counter()
res = calc.calculate(cur)
df = res.to_df()
t3 = time.perf_counter()
print(json.dumps({"read_s": t1 - t0, "fit_s": t2 - t1, "calculate_s": t3 - t2, "total_s": t3 - t0, "import_s": import_s, "nannyml": nml.__version__, "result_rows": len(df)}))
