"""The engine layer: relational work in an engine (DuckDB by default, PySpark on a cluster, any table
Ibis can reach as a source), small results in pandas.

    >>> from promo_core import engines
    >>> eng = engines.connect("duckdb")                 # or "spark" (spark_master=...), or "pandas"
    >>> data = engines.load(eng, "events/")             # a file, a glob or a folder of Parquet/CSV
    >>> data.report["steps"]                            # the quality report's numbers, computed in the engine
    >>> users = engines.profiles(data)                  # one row per user: the only thing pandas receives

``pandas`` is the reference: :func:`load` then reads with :func:`promo_core.quality.load_dataset` and every
function calls the pandas core, so the engines are tested against it (tests/test_engines.py).

Modules: :mod:`.backends` (connections and their memory settings), :mod:`.sources` (path / glob / folder /
database table), :mod:`.clean` (validation and cleaning), :mod:`.relational` (profiles, KPIs, funnel,
baskets, lifecycle, A/B statistics), :mod:`.dtypes` (results converted to the core's dtypes).
"""

from __future__ import annotations

from .backends import ENGINES, Engine, connect, duckdb_settings, spark_session
from .clean import EngineData, clean
from .sources import Source, read_raw, resolve_paths

__all__ = ["ENGINES", "Engine", "EngineData", "Source", "ab_stats", "baskets", "clean", "connect", "duckdb_settings",
           "funnel", "kpis", "lifecycle", "load", "profiles", "read_raw", "resolve_paths", "spark_session",
           "quality_report"]


def load(engine: Engine, spec=None, *, url: str | None = None, table: str | None = None, mapping: dict | None = None,
         nonproduct: bool = True, time_zone: str | None = None):
    """Open and clean a source on an engine: an :class:`EngineData` (duckdb, spark) or, on the pandas
    engine, a :class:`promo_core.quality.Dataset` read by today's loader. ``time_zone``: the shop's, in which
    Unix timestamps and times with offsets are shown (:mod:`promo_core.clock`)."""
    if engine.is_pandas:
        if url is not None or table is not None:
            from .sources import open_table
            t, src = open_table(url, table)   # read through Ibis, then cleaned by the pandas core
            from ..io import RawTable
            from ..quality import clean_events
            from .clean import _as_text_frame
            frame = _as_text_frame(t.to_pandas())
            return clean_events(RawTable(frame, src.name, "events", "database table"), mapping, time_zone=time_zone)
        from ..quality import load_dataset
        paths = resolve_paths(spec).paths
        if len(paths) == 1:
            return load_dataset(paths[0], mapping=mapping, time_zone=time_zone)
        return _load_many_pandas(paths, mapping, time_zone)
    raw, src = read_raw(engine, spec, url=url, table=table)
    data = clean(engine, raw, mapping, source=src, time_zone=time_zone)
    if nonproduct:
        from .nonproduct import suggested_codes
        data.nonproduct = suggested_codes(data.events, data.returns)
    return data


def _load_many_pandas(paths, mapping, time_zone=None):
    import pandas as pd

    from ..io import RawTable, read_table
    from ..quality import clean_events
    raws = [read_table(p) for p in paths]
    frame = pd.concat([r.frame for r in raws], ignore_index=True)
    first = raws[0]
    return clean_events(RawTable(frame, first.name, first.kind, first.container, first.encoding, first.delimiter,
                                 layout=first.layout), mapping, time_zone=time_zone)


def _is_pandas(data) -> bool:
    return not isinstance(data, EngineData)


def profiles(data, as_of=None):
    """Per-user profiles (:func:`promo_core.features.customer_profiles`)."""
    if _is_pandas(data):
        from ..features import customer_profiles
        return customer_profiles(data, as_of)
    from .relational import profiles as rel
    return rel(data.events, as_of, returns=data.returns, nonproduct=data.nonproduct, attributes=data.attributes)


def kpis(data):
    if _is_pandas(data):
        from ..kpis import summarise
        return summarise(data.events)
    from .relational import kpis as rel
    return rel(data.events)


def funnel(data):
    if _is_pandas(data):
        from ..kpis import funnel as core
        return core(data.events)
    from .relational import funnel as rel
    return rel(data.events)


def lifecycle(data, rules=None, as_of=None):
    if _is_pandas(data):
        from ..segments import LifecycleRules
        from ..segments import lifecycle as core
        return core(data.events, rules or LifecycleRules(), as_of)
    from .relational import lifecycle as rel
    return rel(data.events, rules, as_of)


def baskets(data, by: str = "order", level: str = "item", max_basket_size: int | None = None,
            keep_nonproduct: bool = False):
    """Baskets for the miner (:class:`promo_core.rules.Baskets`): the engine reduces the events to their
    distinct basket lines, then :func:`promo_core.rules.make_baskets` builds the same baskets."""
    from ..rules import make_baskets
    codes = () if keep_nonproduct else data.nonproduct
    if _is_pandas(data):
        from ..nonproduct import product_lines
        return make_baskets(product_lines(data.events, codes), by=by, level=level, max_basket_size=max_basket_size)
    from .relational import basket_lines
    return make_baskets(basket_lines(data.events, by, level, codes), by=by, level=level,
                        max_basket_size=max_basket_size)


def ab_stats(engine: Engine, table, variant: str = "variant", converted: str = "converted",
             revenue: str | None = "revenue"):
    """Per-variant sufficient statistics of a user-level experiment table (a pandas frame on the pandas
    engine, an Ibis table otherwise)."""
    if engine.is_pandas:
        import pandas as pd
        conv = table[converted]
        if not (pd.api.types.is_bool_dtype(conv) or pd.api.types.is_numeric_dtype(conv)):
            conv = conv.astype(str).str.strip().str.lower().isin(["1", "true", "yes", "y", "t"])
        t = pd.DataFrame({"variant": table[variant].astype(str), "c": (conv.astype("int64") > 0).astype("int64")})
        agg = {"users": ("c", "size"), "conversions": ("c", "sum")}
        if revenue is not None:
            r = pd.to_numeric(table[revenue], errors="coerce").fillna(0.0).astype("float64")
            t["r"], t["r2"] = r, r * r
            agg.update(revenue_sum=("r", "sum"), revenue_sum_sq=("r2", "sum"))
        return t.groupby("variant", sort=True).agg(**agg).reset_index()
    from .relational import ab_stats as rel
    return rel(table, variant, converted, revenue)


def quality_report(data) -> dict:
    """The quality report's numbers as a dict (the engine's, or the pandas report's to_dict())."""
    if _is_pandas(data):
        return data.report.to_dict()
    return dict(data.report)
