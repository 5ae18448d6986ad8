"""Score xgboost and scikit-learn on the folds that scripts/cvcompare wrote, beside this
project's own scores, and print a Markdown table. Run it through scripts/cv-compare."""
import json
import sys
import warnings

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.experimental import enable_iterative_imputer  # noqa: F401 (enables the import below)
from sklearn.impute import IterativeImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")

# The replaced pipeline's XGBoost hyperparameters, the same as trainer/default.yaml's gbdt.
XGB_PARAMS = dict(n_estimators=300, learning_rate=0.03, max_depth=4, max_leaves=15, subsample=0.8,
                  colsample_bytree=0.6, colsample_bynode=0.8, gamma=0.1, reg_lambda=0.1, reg_alpha=0.01,
                  min_child_weight=1, tree_method="hist", random_state=0)


def main():
    data_path, report_path = sys.argv[1], sys.argv[2]
    d = pd.read_csv(data_path, na_values=["NA"])
    x = d[["Age", "401K Savings"]].to_numpy()
    y = d["Retire"].to_numpy()
    report = json.load(open(report_path))

    reference = {
        "scikit-learn LogisticRegression, median imputation": lambda: make_pipeline(
            SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression()),
        "xgboost 1.7 + IterativeImputer (replaced pipeline)": lambda: make_pipeline(
            IterativeImputer(random_state=0), xgb.XGBClassifier(**XGB_PARAMS)),
        "xgboost 1.7, native missing values": lambda: xgb.XGBClassifier(**XGB_PARAMS),
    }
    rows = [(c["name"], [(s["accuracy"], s["roc_auc"], s["log_loss"]) for s in c["scores"]])
            for c in report["candidates"]]
    for name, make in reference.items():
        scores = []
        for folds in report["folds"]:
            for test in folds:
                train = np.setdiff1d(np.arange(len(y)), test)
                model = make().fit(x[train], y[train])
                p = model.predict_proba(x[test])[:, 1]
                scores.append((accuracy_score(y[test], p >= 0.5), roc_auc_score(y[test], p), log_loss(y[test], p)))
        rows.append((name, scores))

    folds = sum(len(f) for f in report["folds"])
    print(f"| model | accuracy | ROC AUC | log loss |  ({folds} folds: {len(report['folds'])} x {len(report['folds'][0])}-fold)")
    print("|---|---|---|---|")
    for name, scores in rows:
        s = np.array(scores)
        cells = " | ".join(f"{s[:, i].mean():.4f} ± {s[:, i].std():.4f}" for i in range(3))
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
