"""Frequent itemsets and association rules behind one interface, on one machine or a Spark cluster.

:func:`mine` takes baskets and thresholds and returns the same :class:`MiningResult` whichever
backend mines:

* ``"pyfim"`` (the default): Borgelt's FP-Growth in C (PyPI ``pyfim``), on one machine; the Basket
  rules page and the CLI use it.
* ``"mlxtend"``: mlxtend's Apriori (sparse input, ``low_memory=True``) and ``association_rules``, the
  reference implementation.
* ``"spark"``: Spark ML's ``FPGrowth`` (``pyspark.ml.fpm``): itemsets *and* rules are computed by
  Spark, for baskets that outgrow one machine (the metrics are computed from Spark's counts with the
  formulas below and checked against Spark's own confidence, lift and support). Spark counts an itemset as frequent when its count
  reaches ``ceil(minSupport × baskets)``; the threshold passed to Spark is chosen so that this is
  exactly :func:`promo_core.rules.min_count`, the count pyfim and mlxtend use.

Every backend gives the same itemsets with the same supports and the same rules with the same
support, confidence and lift (tested on the sample baskets, Online Retail and a generated file).
The metrics are mlxtend's (see :mod:`promo_core.rules`): support(X) = baskets containing X ÷
baskets mined; confidence(X→Y) = support(X∪Y)/support(X); lift = confidence/support(Y). Rules keep
one item on the right-hand side (as R's arules and Spark do).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import association_rules

from ..i18n import N_, _, fmt_int
from ..progress import Progress, report
from ..rules import (
    RULE_COLUMNS,
    Baskets,
    RuleSet,
    baskets_from_lists,
    make_rules,
    mine_itemsets,
)
from ..schema import DataError

Backend = Literal["pyfim", "mlxtend", "spark"]
#: backend -> what it is, as the method expander names it
BACKENDS: dict[str, str] = {
    "pyfim": N_("FP-Growth in C (pyfim), on this machine"),
    "mlxtend": N_("Apriori (mlxtend, the reference implementation), on this machine"),
    "spark": N_("FP-Growth in Spark ML (pyspark.ml.fpm), on a Spark cluster"),
}
DEFAULT_BACKEND: Backend = "pyfim"


@dataclass(frozen=True)
class MiningResult:
    """Itemsets and rules from :func:`mine`.

    ``itemsets``: support (share of baskets), itemsets (frozenset of labels), length; shortest
    first, then the most frequent. ``rules``: a :class:`promo_core.rules.RuleSet`.
    ``seconds``: wall time of the mining (rules included).
    """

    itemsets: pd.DataFrame
    rules: RuleSet
    backend: str
    n_baskets: int
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def rules_frame(self) -> pd.DataFrame:
        """The rules table (RULE_COLUMNS and the test and redundancy columns)."""
        return self.rules.rules


def describe_backend(backend: str) -> str:
    """A translated sentence naming ``backend`` (for the method expanders)."""
    return _(BACKENDS[backend]) if backend in BACKENDS else str(backend)


def method_note(algorithm: str) -> str:
    """The method sentence for the Basket rules page: which backend mined, and that the others agree.

    ``algorithm`` is the engine that really mined (``promo_core.rules.engine``): 'pyfim', or mlxtend's
    'fpgrowth'/'apriori'.
    """
    backend = "pyfim" if algorithm == "pyfim" else "mlxtend"
    return _("Mining backend: {backend}. The same itemsets and rules, with the same support, confidence and "
             "lift, come from every backend (pyfim, mlxtend as the reference, Spark ML's FP-Growth for data "
             "beyond one machine); this is tested on the sample, Online Retail and generated baskets.").format(
        backend=describe_backend(backend))


def _check_backend(backend) -> None:
    if backend not in BACKENDS:
        raise DataError(_("Unknown mining backend {name!r}").format(name=backend),
                        hint=_("Use one of: {names}").format(names=", ".join(BACKENDS)))


def _mlxtend_rules(itemsets: pd.DataFrame, n_baskets: int, min_confidence: float,
                   single_consequent: bool) -> dict[str, np.ndarray]:
    """mlxtend's own ``association_rules`` (the reference), one consequent item kept when asked."""
    if (itemsets["length"] < 2).all():
        return {c: np.asarray([]) for c in RULE_COLUMNS}
    raw = association_rules(itemsets[["support", "itemsets"]], num_itemsets=n_baskets, metric="confidence",
                            min_threshold=min_confidence)
    raw.columns = [c.replace(" ", "_") for c in raw.columns]
    if single_consequent:
        raw = raw[raw["consequents"].map(len) == 1]
    return {c: raw[c].to_numpy() for c in RULE_COLUMNS}


def mine(baskets: Baskets | list[list[object]], min_support: float = 0.01, min_confidence: float = 0.2,
         min_lift: float = 0.0, max_len: int | None = None, *, backend: Backend = DEFAULT_BACKEND,
         single_consequent: bool = True, test: Literal["fisher", "chi2", "none"] = "none",
         flag_redundant: bool = True, spark_master: str | None = None,
         progress: Progress | None = None) -> MiningResult:
    """Frequent itemsets and association rules with the chosen backend.

    Parameters
    ----------
    baskets : Baskets or list of lists
        From :func:`promo_core.rules.make_baskets`, or plain lists of item labels.
    min_support : float
        Share of baskets (0-1] an itemset must reach.
    min_confidence, min_lift : float
        Rule thresholds (confidence 0-1, lift ≥ 0; 0 keeps every rule).
    max_len : int, optional
        Longest itemset; None mines every length.
    backend : {'pyfim', 'mlxtend', 'spark'}
        Who mines: see the module docstring. The results are the same.
    spark_master : str, optional
        Spark master URL for ``backend='spark'`` (default: the shared ``local[2]`` session).
    progress : callable, optional
        ``progress(stage, fraction)``, see :mod:`promo_core.progress`.
    """
    _check_backend(backend)
    if not isinstance(baskets, Baskets):
        baskets = baskets_from_lists(baskets)
    start = time.perf_counter()
    report(progress, _("Mining frequent itemsets ({backend})").format(backend=backend), 0.0)
    if backend == "spark":
        from .spark import spark_mine
        itemsets, raw = spark_mine(baskets, min_support, min_confidence, max_len, single_consequent,
                                   master=spark_master, progress=progress)
    else:
        itemsets = mine_itemsets(baskets, min_support, max_len, "pyfim" if backend == "pyfim" else "apriori")
        raw = _mlxtend_rules(itemsets, baskets.n, min_confidence, single_consequent) if backend == "mlxtend" else None
    report(progress, _("Making rules from {n} itemsets").format(n=fmt_int(len(itemsets))), 0.8)
    ruleset = make_rules(itemsets, baskets.n, min_confidence, min_lift, single_consequent, test,
                         flag_redundant=flag_redundant, raw=raw)
    report(progress, _("Rules ready"), 1.0)
    return MiningResult(itemsets=itemsets, rules=ruleset, backend=backend, n_baskets=baskets.n,
                        seconds=time.perf_counter() - start)


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "MiningResult", "describe_backend", "method_note", "mine"]
