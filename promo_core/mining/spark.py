"""Spark ML FP-Growth as a mining backend (``pyspark.ml.fpm.FPGrowth``).

Spark mines the itemsets and makes the rules; this module only moves the baskets in (as integer
item codes, through Arrow) and the results out, and turns Spark's columns into PromoScope's.
:func:`spark_session` is the one place a session is made: the engine layer (promo_core.engines)
can replace it, and a cluster is reached by passing its master URL.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pandas as pd

from ..i18n import _, fmt_int
from ..progress import Progress, report
from ..rules import (
    CONFIDENCE_TIE,
    MAX_ITEMSETS,
    RULE_COLUMNS,
    Baskets,
    _check_mining_args,
    _metrics,
    guard,
    min_count,
)
from ..schema import DataError

LOCAL_MASTER = "local[2]"
_LOCK = threading.Lock()


def spark_session(master: str | None = None):
    """The process's Spark session (made once; later calls get the same one).

    Local by default (``local[2]``: two cores), web UI off, session time zone UTC (Spark 4 reads
    naive times as ``timestamp_ntz`` otherwise), Arrow transfers on.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DataError(_("Spark is not installed on this machine"),
                        hint=_("Install it with `pip install pyspark` (it needs Java 17), or mine with pyfim")
                        ) from None
    with _LOCK:
        try:
            return (SparkSession.builder.master(master or LOCAL_MASTER).appName("PromoScope")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                    .config("spark.sql.shuffle.partitions", "8")
                    .getOrCreate())
        except Exception as exc:  # noqa: BLE001 - Java missing, master unreachable, ...
            raise DataError(_("Spark could not start ({error})").format(error=type(exc).__name__),
                            where=str(exc).splitlines()[0][:200] if str(exc) else "",
                            hint=_("Check that Java 17 is installed and the Spark master URL is right, "
                                   "or mine with pyfim on this machine")) from None


def _baskets_frame(spark, baskets: Baskets):
    """Baskets as a Spark DataFrame with one column ``items`` (array of int item codes)."""
    import pyarrow as pa
    table = pa.table({"items": pa.ListArray.from_arrays(pa.array(baskets.indptr.astype(np.int32)),
                                                        pa.array(baskets.codes.astype(np.int32)))})
    try:
        return spark.createDataFrame(table)  # PySpark 4: straight from Arrow
    except (TypeError, ValueError):
        return spark.createDataFrame(table.to_pandas())


def spark_threshold(min_support: float, n: int) -> float:
    """The ``minSupport`` for Spark: it keeps itemsets whose count reaches ``ceil(minSupport × n)``;
    half a basket below :func:`min_count` makes that exactly ``min_count(min_support, n)``."""
    c = min_count(min_support, n)
    value = (c - 0.5) / n
    assert math.ceil(value * n) == c
    return value


def spark_mine(baskets: Baskets, min_support: float, min_confidence: float, max_len: int | None,
               single_consequent: bool = True, *, master: str | None = None,
               progress: Progress | None = None) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Itemsets (support, itemsets, length) and raw rule columns (RULE_COLUMNS), both from Spark."""
    _check_mining_args(baskets, min_support, max_len)
    if not single_consequent:
        raise DataError(_("Spark's FP-Growth makes rules with one item on the right-hand side only"),
                        hint=_("Keep one item on the right-hand side, or mine with pyfim or mlxtend"))
    guard(baskets, min_support, max_len)
    report(progress, _("Starting Spark"), 0.05)
    spark = spark_session(master)
    from pyspark.ml.fpm import FPGrowth
    report(progress, _("Sending {n} baskets to Spark").format(n=fmt_int(baskets.n)), 0.15)
    frame = _baskets_frame(spark, baskets)
    model = FPGrowth(itemsCol="items", minSupport=spark_threshold(min_support, baskets.n),
                     minConfidence=max(0.0, min_confidence - 1e-9)).fit(frame)
    report(progress, _("Spark is counting frequent itemsets"), 0.3)
    freq = model.freqItemsets.toPandas()
    if len(freq) > MAX_ITEMSETS:
        raise DataError(_("This minimum support yields {n} itemsets, too many to turn into rules").format(
            n=fmt_int(len(freq))), hint=_("Raise the minimum support"))
    code_sets = [frozenset(int(c) for c in s) for s in freq["items"]]
    counts = freq["freq"].to_numpy(dtype=np.int64)
    lengths = np.fromiter(map(len, code_sets), dtype=np.int64, count=len(code_sets))
    keep = np.ones(len(code_sets), dtype=bool) if max_len is None else lengths <= max_len
    count_of = dict(zip(code_sets, counts.tolist(), strict=True))
    labels = baskets.items.tolist()

    def named(codes) -> frozenset:
        return frozenset(labels[c] for c in codes)

    kept = np.flatnonzero(keep)
    support = counts[kept] / baskets.n
    order = np.lexsort((-support, lengths[kept]))  # shortest first, then the most frequent
    sets = np.empty(len(kept), dtype=object)
    sets[:] = [named(code_sets[i]) for i in kept[order]]
    itemsets = pd.DataFrame({"support": support[order], "itemsets": sets, "length": lengths[kept][order]})
    report(progress, _("Spark is making rules"), 0.6)
    rules = model.associationRules.toPandas()
    ants = [frozenset(int(c) for c in a) for a in rules["antecedent"]]
    cons = [frozenset(int(c) for c in a) for a in rules["consequent"]]
    s_ac = np.array([count_of[a | c] for a, c in zip(ants, cons, strict=True)], dtype=float) / baskets.n
    s_a = np.array([count_of[a] for a in ants], dtype=float) / baskets.n
    s_c = np.array([count_of[c] for c in cons], dtype=float) / baskets.n
    # the confidence threshold compared as pyfim's and mlxtend's rules compare it (shares, not Spark's counts)
    ok = s_ac / s_a >= min_confidence * (1 - CONFIDENCE_TIE) if len(ants) else np.zeros(0, dtype=bool)
    if max_len is not None and len(ants):
        ok &= np.array([len(a) + len(c) <= max_len for a, c in zip(ants, cons, strict=True)])
    idx = np.flatnonzero(ok)
    ant_l = np.empty(len(idx), dtype=object)
    con_l = np.empty(len(idx), dtype=object)
    ant_l[:] = [named(ants[i]) for i in idx]
    con_l[:] = [named(cons[i]) for i in idx]
    cols = _metrics(ant_l, con_l, s_ac[idx], s_a[idx], s_c[idx])
    # The metrics are computed from Spark's counts with the same formulas as for pyfim and mlxtend, so a
    # threshold on lift treats a rule the same way whichever backend mined it; Spark's own confidence,
    # lift and support for the rules it made must agree with them (they do, to the last bit or two).
    for col in ("confidence", "lift", "support"):
        theirs = rules[col].to_numpy(dtype=float)[idx]
        if not np.allclose(theirs, cols[col], rtol=1e-9, atol=0):
            raise RuntimeError(f"Spark's {col} differs from the one computed from its counts")
    return itemsets, {c: np.asarray(cols[c]) for c in RULE_COLUMNS}
