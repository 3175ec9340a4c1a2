"""Propensity to buy in the next period, trained on a time split.

Features are the profiles as they were ``horizon_days`` before the end of the data (the
cut-off); the label is whether the user bought between the cut-off and the end. The model is
evaluated on a held-out 30% of users, then refitted on all of them and applied to today's
profiles to score every user for the next ``horizon_days``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from .features import EventHistory, event_history, feature_frame, numeric_features
from .i18n import N_, _
from .schema import DataError

Model = Literal["logistic", "tree", "forest", "boosting", "mlp"]
MODELS: dict[str, str] = {"logistic": N_("Logistic regression"), "tree": N_("Decision tree"),
                          "forest": N_("Random forest"), "boosting": N_("Gradient boosting"),
                          "mlp": N_("Neural net (small MLP)")}


def make_model(name: str, seed: int = 0):
    """A scikit-learn pipeline for one of :data:`MODELS` (scaled inputs where it matters)."""
    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    if name == "tree":
        return DecisionTreeClassifier(max_depth=5, min_samples_leaf=20, random_state=seed)
    if name == "forest":
        return RandomForestClassifier(n_estimators=100, min_samples_leaf=5, n_jobs=2, random_state=seed)
    if name == "boosting":
        return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=seed)
    if name == "mlp":
        return make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=600,
                                                             early_stopping=True, random_state=seed))
    raise DataError(_("Unknown model {value}").format(value=repr(name)),
                    hint=_("Use one of: {options}").format(options=", ".join(MODELS)))


@dataclass(frozen=True)
class Propensity:
    """Evaluation on held-out users and a score per user.

    ``auc_ci`` is a 95% bootstrap interval (200 resamples of the test users).
    ``precision_top_decile``: share of buyers among the 10% of test users scored highest;
    ``recall_top_decile``: share of all test buyers found in that 10%; ``lift_top_decile``:
    precision ÷ base rate. ``scores``: user_id, propensity (probability of buying within
    ``horizon_days`` after the end of the data). ``baselines``: the ROC AUC on the same test users
    of ranking by one feature alone — 'recency only' (most recent buyers first; never-buyers last)
    and 'frequency only' (most orders first) — the yardstick the model has to beat.
    """

    model: str
    horizon_days: int
    cutoff: pd.Timestamp
    n_train: int
    n_test: int
    base_rate: float
    auc: float | None
    auc_ci: tuple[float, float] | None
    precision_top_decile: float | None
    recall_top_decile: float | None
    lift_top_decile: float | None
    roc: pd.DataFrame
    calibration: pd.DataFrame
    importance: pd.DataFrame
    scores: pd.DataFrame
    ok: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)
    baselines: dict[str, float] = field(default_factory=dict)


def top_decile(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(precision, recall) among the 10% highest scores (at least one user)."""
    n = max(1, int(np.ceil(0.1 * len(p))))
    top = np.argsort(-p, kind="stable")[:n]
    hits = y[top].sum()
    return float(hits / n), float(hits / y.sum()) if y.sum() else 0.0


def fit_propensity(events: pd.DataFrame | EventHistory, model: Model = "logistic", horizon_days: int = 30,
                   seed: int = 0, features: list[str] | None = None) -> Propensity:
    """Train on a time split, evaluate on held-out users, and score everyone. See the module doc.

    ``events`` are canonical events, or an object with :class:`EventHistory`'s methods (an engine's)."""
    if model not in MODELS:
        raise DataError(_("Unknown model {value}").format(value=repr(model)),
                        hint=_("Use one of: {options}").format(options=", ".join(MODELS)))
    if not isinstance(horizon_days, (int, np.integer)) or not 1 <= horizon_days <= 365:
        raise DataError(_("The prediction horizon must be 1 to 365 days; got {value}").format(value=repr(horizon_days)),
                        hint=_("Try 30"))
    src = event_history(events)
    as_of = src.as_of()
    cutoff = as_of - pd.Timedelta(days=int(horizon_days))
    span = (as_of - src.first()).days
    if span < 2 * horizon_days:
        raise DataError(_("The data covers {span} days, too short to learn from a {horizon}-day horizon").format(
            span=span, horizon=horizon_days), hint=_("Choose a horizon of at most {days} days").format(
                days=max(1, span // 2)))
    past = src.profiles(cutoff)
    bought = src.buyers_since(cutoff)
    y = past["user_id"].isin(bought).to_numpy().astype(int)
    cols = features or [f for f in numeric_features(past)]
    X = feature_frame(past, cols)
    notes: list[str] = []
    empty_roc = pd.DataFrame(columns=["fpr", "tpr"])
    now = src.profiles(as_of)
    if y.sum() < 10 or (len(y) - y.sum()) < 10:
        notes.append(_("Only {k} of {n} users bought after the cut-off: too few of one kind to train a model; "
                       "scores are the overall purchase rate").format(k=int(y.sum()), n=f"{len(y):,}"))
        rate = float(y.mean()) if len(y) else 0.0
        return Propensity(model, int(horizon_days), cutoff, len(y), 0, rate, None, None, None, None, None,
                          empty_roc, pd.DataFrame(), pd.DataFrame(),
                          pd.DataFrame({"user_id": now["user_id"], "propensity": rate}), ok=False,
                          notes=tuple(notes))
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    naive = feature_frame(past, ["recency_days", "frequency"]).loc[X_te.index]
    yardsticks = {"recency only": float(roc_auc_score(y_te, -naive["recency_days"])),
                  "frequency only": float(roc_auc_score(y_te, naive["frequency"]))}
    est = make_model(model, seed).fit(X_tr, y_tr)
    p = est.predict_proba(X_te)[:, 1]
    auc = float(roc_auc_score(y_te, p))
    rng = np.random.default_rng(seed)
    boots = []
    for _i in range(200):
        i = rng.integers(0, len(y_te), len(y_te))
        if 0 < y_te[i].sum() < len(i):
            boots.append(roc_auc_score(y_te[i], p[i]))
    prec, rec = top_decile(y_te, p)
    fpr, tpr, _thresholds = roc_curve(y_te, p)
    obs, pred = calibration_curve(y_te, p, n_bins=10, strategy="quantile")
    sample = min(len(y_te), 4000)
    imp = permutation_importance(est, X_te.iloc[:sample], y_te[:sample], scoring="roc_auc", n_repeats=3,
                                 random_state=seed, n_jobs=1)
    importance = pd.DataFrame({"feature": X.columns, "importance": imp.importances_mean,
                               "std": imp.importances_std}).sort_values("importance", ascending=False)
    final = make_model(model, seed).fit(X, y)
    X_now = feature_frame(now.reindex(columns=list(dict.fromkeys(["user_id", *cols]))), cols)
    scores = pd.DataFrame({"user_id": now["user_id"], "propensity": final.predict_proba(X_now)[:, 1]})
    base = float(y_te.mean())
    return Propensity(model, int(horizon_days), cutoff, len(y_tr), len(y_te), base, auc,
                      (float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))) if boots else None,
                      prec, rec, prec / base if base else None,
                      pd.DataFrame({"fpr": fpr, "tpr": tpr}),
                      pd.DataFrame({"mean_predicted": pred, "observed_rate": obs}),
                      importance.reset_index(drop=True), scores, ok=True, notes=tuple(notes), baselines=yardsticks)
