#!/usr/bin/python3
"""Print xgboost's probability for each row of a CSV file, one per line.

Usage: gbdt_xgb_predict.py MODEL_JSON DATA_CSV

DATA_CSV has a header of feature names and one row per sample; an empty cell, NA or nan is a
missing value. The Go tests of classifier/gbdt run this with Debian's xgboost 1.7.4 to check
that a model saved by Go predicts the same in Python.
"""
import sys

import numpy as np
import pandas as pd
import xgboost as xgb


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model_path, data_path = sys.argv[1], sys.argv[2]

    booster = xgb.Booster()
    booster.load_model(model_path)
    frame = pd.read_csv(data_path, na_values=["NA", "nan"], dtype=np.float64)
    matrix = xgb.DMatrix(frame, missing=np.nan)
    for p in booster.predict(matrix):
        print(repr(float(p)))


if __name__ == "__main__":
    main()
