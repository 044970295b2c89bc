"""Evidently's DataDriftPreset on a reference/current CSV pair. Prints JSON with the time to read
the CSVs, to run the report and save it as JSON, and the total (imports excluded)."""
import json, os, sys, time

t_import = time.perf_counter()
import pandas as pd
import evidently
try:  # Evidently >= 0.7
    from evidently import Report, Dataset, DataDefinition
    from evidently.presets import DataDriftPreset
    NEW = True
except ImportError:  # Evidently 0.4-0.6
    from evidently.report import Report
    from evidently.metric_preset import DataDriftPreset
    NEW = False
import_s = time.perf_counter() - t_import

ref_path, cur_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
ref = pd.read_csv(ref_path)
cur = pd.read_csv(cur_path)
t1 = time.perf_counter()
report = Report([DataDriftPreset()]) if NEW else Report(metrics=[DataDriftPreset()])
if NEW:
    snapshot = report.run(cur, ref)
    snapshot.save_json(out)
else:
    report.run(reference_data=ref, current_data=cur)
    report.save_json(out)
t2 = time.perf_counter()
print(json.dumps({"read_s": t1 - t0, "report_s": t2 - t1, "total_s": t2 - t0, "import_s": import_s, "evidently": evidently.__version__, "rows": len(cur), "cols": cur.shape[1]}))
