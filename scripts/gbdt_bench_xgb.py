#!/usr/bin/python3
"""Time xgboost on the synthetic data of scripts/bench-gbdt and print key=value lines.

Usage: gbdt_bench_xgb.py DATA_DIR NTHREAD

DATA_DIR contains x.f64 and y.f64 written by `gbdtbench gen`. The first 80% of the rows train an
XGBClassifier (tree_method hist) with the retirement pipeline's hyperparameters, the other
20% give the test AUC, and inplace_predict is timed on all rows.
"""
import os
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

PIPELINE = dict(
    n_estimators=300,
    learning_rate=0.03,
    max_depth=4,
    max_leaves=15,
    subsample=0.8,
    colsample_bytree=0.6,
    colsample_bynode=0.8,
    gamma=0.1,
    reg_lambda=0.1,
    reg_alpha=0.01,
    min_child_weight=1,
)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data_dir, nthread = sys.argv[1], int(sys.argv[2])

    x = np.fromfile(os.path.join(data_dir, "x.f64"), dtype="<f8").reshape(-1, 2)
    y = np.fromfile(os.path.join(data_dir, "y.f64"), dtype="<f8")
    n_train = int(0.8 * len(y))

    model = xgb.XGBClassifier(tree_method="hist", n_jobs=nthread, random_state=0, **PIPELINE)
    start = time.perf_counter()
    model.fit(x[:n_train], y[:n_train].astype(int))
    train_seconds = time.perf_counter() - start

    booster = model.get_booster()
    start = time.perf_counter()
    proba = booster.inplace_predict(x)
    predict_seconds = time.perf_counter() - start

    print(f"train_rows={n_train}")
    print(f"train_seconds={train_seconds:.3f}")
    print(f"test_auc={roc_auc_score(y[n_train:], proba[n_train:]):.6f}")
    print(f"predict_rows={len(y)}")
    print(f"predict_seconds={predict_seconds:.3f}")


if __name__ == "__main__":
    main()
