#!/usr/bin/python3
"""Train xgboost's XGBClassifier (tree_method hist) and save its model as JSON.

Usage: gbdt_xgb_train.py TRAIN_CSV PARAMS_JSON MODEL_OUT [PREDICT_CSV]

TRAIN_CSV has a header whose last column is the 0/1 label and whose other columns are the
features. An empty cell, NA or nan is a missing value. PARAMS_JSON contains the hyperparameters
with the json names of the Go type gbdt.Params (seed and nthread become random_state and
n_jobs). When PREDICT_CSV is given, the probability of each of its rows is printed, one per
line. The Go tests of classifier/gbdt use this to compare against Debian's xgboost 1.7.4.
"""
import json
import sys

import numpy as np
import pandas as pd
import xgboost as xgb

RENAMED = {"seed": "random_state", "nthread": "n_jobs"}


def main() -> None:
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    train_path, params_path, model_path = sys.argv[1:4]

    with open(params_path, encoding="utf-8") as f:
        params = {RENAMED.get(k, k): v for k, v in json.load(f).items()}
    if params.get("n_jobs") == 0:
        params["n_jobs"] = None

    frame = pd.read_csv(train_path, na_values=["NA", "nan"], dtype=np.float64)
    x, y = frame.iloc[:, :-1], frame.iloc[:, -1].astype(int)
    model = xgb.XGBClassifier(objective="binary:logistic", tree_method="hist", **params)
    model.fit(x, y)
    model.get_booster().save_model(model_path)

    if len(sys.argv) == 5:
        test = pd.read_csv(sys.argv[4], na_values=["NA", "nan"], dtype=np.float64)
        for p in model.predict_proba(test)[:, 1]:
            print(repr(float(p)))


if __name__ == "__main__":
    main()
