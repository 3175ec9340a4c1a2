"""The relational work written once as Ibis expressions: per-user profiles, KPIs and funnel, baskets,
lifecycle stages and A/B sufficient statistics. Each function takes canonical events as an Ibis table
(:attr:`EngineData.events`) and returns a small pandas result equal to the pandas core's:

=====================  =====================================================
this function          equals (tested)
=====================  =====================================================
:func:`profiles`       :func:`promo_core.features.build_profiles`
:func:`kpis`           :func:`promo_core.kpis.summarise`
:func:`funnel`         :func:`promo_core.kpis.funnel`
:func:`basket_lines`   the lines :func:`promo_core.rules.make_baskets` forms baskets from
:func:`lifecycle`      :func:`promo_core.segments.lifecycle`
:func:`ab_stats`       per-variant n, conversions, revenue sum and sum of squares
=====================  =====================================================

Times become whole seconds since the epoch before differences are taken (portable across engines);
sub-second parts of event times are therefore ignored in day counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import MAX_CATEGORY_SHARES, PROFILE_BASE, settle_money
from ..i18n import _
from ..schema import DataError
from .dtypes import normalise

DAY_S = 86400.0


def _secs(t):
    return t.epoch_seconds().cast("float64")


def _amount(t):
    amount = t.price * t.quantity
    if "line_total" in t.columns:
        amount = t.line_total.isnull().ifelse(amount, t.line_total)
    return amount


def _not_nonproduct(t, codes):
    if not codes or "item_id" not in t.columns:
        import ibis
        return ibis.literal(True)
    return ~(t.item_id.isin(list(codes)).fill_null(False))


def default_as_of(events) -> pd.Timestamp:
    """The day after the last event (midnight), as :func:`promo_core.features.default_as_of`."""
    last = events.aggregate(m=events.timestamp.max()).to_pandas()["m"].iloc[0]
    return pd.Timestamp(last).normalize() + pd.Timedelta(days=1)


def _has_order_ids(buys) -> bool:
    if "order_id" not in buys.columns:
        return False
    n = buys.aggregate(n=buys.order_id.count()).to_pandas()["n"].iloc[0]
    return int(n) > 0


def _order_key(buys, with_orders: bool):
    if with_orders:
        return buys.order_id
    return buys.user_id.concat("|", buys.timestamp.date().cast("string"))


def count_orders(purchases) -> int:
    """Orders: distinct order ids, or distinct (user, day) pairs (as promo_core.quality.count_orders)."""
    if _has_order_ids(purchases):
        return int(purchases.aggregate(n=purchases.order_id.nunique()).to_pandas()["n"].iloc[0])
    n = purchases.select(u=purchases.user_id, d=purchases.timestamp.date()).distinct().count().to_pandas()
    return int(n)


def profiles(events, as_of: pd.Timestamp | None = None, *, returns=None, nonproduct: tuple[str, ...] = (),
             attributes: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per user with the columns of :func:`promo_core.features.build_profiles` (computed in
    the engine; only the per-user table comes back)."""
    import ibis
    as_of = default_as_of(events) if as_of is None else pd.Timestamp(as_of)
    lit = ibis.timestamp(as_of.to_pydatetime())
    ev = events.filter(events.timestamp < lit)
    as_s = float(as_of.timestamp())
    base = ev.group_by("user_id").aggregate(
        first=_secs(ev.timestamp).min(), last=_secs(ev.timestamp).max(),
        views=(ev.event == "view").cast("int64").sum(), carts=(ev.event == "cart").cast("int64").sum(),
        purchase_lines=(ev.event == "purchase").cast("int64").sum())
    cols = set(ev.columns)
    buys = ev.filter(ev.event == "purchase")
    with_orders = _has_order_ids(buys)
    value = ibis.ifelse(_not_nonproduct(buys, nonproduct), _amount(buys).fill_null(0.0), 0.0)
    lines = buys.mutate(_k=_order_key(buys, with_orders), _v=value, _t=_secs(buys.timestamp))
    lines = lines.filter(lines._k.notnull())
    per_order = lines.group_by(["user_id", "_k"]).aggregate(t=lines._t.min(), v=lines._v.sum())
    per_user = per_order.group_by("user_id").aggregate(
        frequency=per_order.count(), gross_sales=per_order.v.sum(), first_order=per_order.t.min(),
        last_order=per_order.t.max())
    out = base.left_join(per_user, "user_id").drop("user_id_right")
    if returns is not None:
        r = returns.filter((returns.timestamp < lit) & _not_nonproduct(returns, nonproduct))
        rv = r.group_by("user_id").aggregate(returns=(r.price * r.quantity.abs()).fill_null(0.0).sum())
        out = out.left_join(rv, "user_id").drop("user_id_right")
    else:
        out = out.mutate(returns=ibis.literal(0.0))
    if "discount" in cols:
        ds = buys.group_by("user_id").aggregate(
            discount_share=(buys.discount.fill_null(0.0) > 0).cast("float64").mean())
        out = out.left_join(ds, "user_id").drop("user_id_right")
    freq = out.frequency.fill_null(0)
    gross = out.gross_sales.fill_null(0.0)
    ret = out.returns.fill_null(0.0)
    null = ibis.null("float64")
    out = out.mutate(
        frequency=freq, gross_sales=gross, returns=ret,
        recency_days=(as_s - out.last_order) / DAY_S,
        purchase_interval_days=ibis.ifelse(freq >= 2, (out.last_order - out.first_order) / DAY_S / (freq - 1), null),
        tenure_days=(as_s - out.first) / DAY_S, days_since_last_event=(as_s - out.last) / DAY_S,
        view_to_cart=ibis.ifelse(out.views > 0, ibis.least(out.carts.cast("float64") / out.views, 1.0), null),
        cart_to_purchase=ibis.ifelse(out.carts > 0,
                                     ibis.least(out.purchase_lines.cast("float64") / out.carts, 1.0), null))
    names = list(PROFILE_BASE)
    if "discount" in cols:
        names.append("discount_share")
    settled = {"monetary", "return_rate", "avg_order_value"}   # from the rounded sums, as in memory
    frame = normalise(out.select("user_id", *[n for n in names if n not in settled]).to_pandas(),
                      ints=("frequency", "views", "carts", "purchase_lines"))
    frame = settle_money(frame)[["user_id", *names]]
    frame = frame.sort_values("user_id", kind="stable").reset_index(drop=True)
    if "discount" in cols and not len(buys.limit(1).to_pandas()):
        frame = frame.drop(columns="discount_share")
    if "category" in cols:
        shares = _category_shares(ev, nonproduct)
        if shares is not None:
            frame = frame.merge(shares, on="user_id", how="left")
            share_cols = [c for c in shares.columns if c.startswith("share_")]
            frame[share_cols] = frame[share_cols].fillna(0.0)
    attrs = [a for a in attributes if a in cols]
    if attrs:
        frame = frame.merge(_last_attributes(ev, attrs), on="user_id", how="left")
    return frame


def _category_shares(ev, nonproduct) -> pd.DataFrame | None:
    import ibis
    prod = ev.filter(_not_nonproduct(ev, nonproduct))
    if not int(ev.aggregate(n=ev.category.count()).to_pandas()["n"].iloc[0]):
        return None
    cat = prod.category.fill_null("unknown")
    prod = prod.mutate(_c=cat)
    counts = _kept(prod.group_by(["user_id", "_c"]).aggregate(n=prod.count()))  # read twice below
    totals = counts.group_by("_c").aggregate(n=counts.n.sum()).to_pandas()
    top = list(totals.sort_values(["n", "_c"], ascending=[False, True])["_c"].head(MAX_CATEGORY_SHARES))
    # one column per top category (and 'other' when any event falls outside them), summed in the engine
    bins = sorted(set(top) | ({"other"} if len(totals) > len(top) else set()))
    binned = counts.mutate(_b=ibis.ifelse(counts._c.isin(top), counts._c, "other"))
    sums = {f"share_{b}": ibis.ifelse(binned._b == b, binned.n, 0).sum() for b in bins}
    wide = binned.group_by("user_id").aggregate(_total=binned.n.sum(), **sums)
    wide = wide.mutate(**{k: wide[k].cast("float64") / wide._total for k in sums}).drop("_total")
    wide = normalise(wide.to_pandas()).set_index("user_id")
    # favourite: most events, the first category in sorted order on ties (as pandas idxmax over sorted columns)
    w = ibis.window(group_by=counts.user_id, order_by=[ibis.desc(counts.n), counts._c])
    fav = counts.mutate(_r=ibis.row_number().over(w)).filter(lambda s: s._r == 0)
    fav = fav.select(user_id=fav.user_id, favourite_category=fav._c).to_pandas().set_index("user_id")
    _drop(counts)
    out = pd.DataFrame({"favourite_category": fav["favourite_category"]}).join(wide, how="outer")
    out.index.name = "user_id"
    return out.reset_index()


def _kept(expr):
    """``expr`` computed once when later queries read it several times: a temporary table on DuckDB (Ibis's own
    ``cache()`` raises there at exit, see :func:`promo_core.engines.clean.materialise`), ``cache()`` elsewhere."""
    import uuid
    try:
        backend = expr._find_backend()
    except Exception:  # noqa: BLE001 - an expression without one backend: compute it where it is
        return expr
    if getattr(backend, "name", "") == "duckdb":
        return backend.create_table(f"_promoscope_{uuid.uuid4().hex}", expr, temp=True)
    return expr.cache() if getattr(backend, "name", "") == "pyspark" else expr


def _drop(table) -> None:
    """Drop a temporary table made by :func:`_kept` (nothing for other expressions)."""
    try:
        backend = table._find_backend()
        if getattr(backend, "name", "") == "duckdb":
            backend.raw_sql(f'DROP TABLE IF EXISTS "{table.get_name()}"')
    except Exception:  # noqa: BLE001 - not a table of its own, or already gone
        pass


def _last_attributes(ev, attrs) -> pd.DataFrame:
    """Each user's most recent non-empty value of each attribute column."""
    frames = []
    for a in attrs:
        t = ev.filter(ev[a].notnull())
        frames.append(t.group_by("user_id").aggregate(**{a: t[a].argmax(t.timestamp)}).to_pandas().set_index("user_id"))
    return pd.concat(frames, axis=1).reset_index()


def kpis(events):
    """Headline numbers (:class:`promo_core.kpis.Kpis`) computed in the engine."""
    from ..kpis import Kpis, rate
    buys = events.filter(events.event == "purchase")
    with_orders = _has_order_ids(buys)
    has_price = "price" in events.columns and int(buys.aggregate(n=buys.price.count()).to_pandas()["n"].iloc[0]) > 0
    if "line_total" in events.columns:
        has_price = has_price or int(buys.aggregate(n=buys.line_total.count()).to_pandas()["n"].iloc[0]) > 0
    agg = {"n": buys.count(), "buyers": buys.user_id.nunique()}
    if has_price:
        agg["revenue"] = _amount(buys).sum()
    row = buys.aggregate(**agg).to_pandas().iloc[0]
    n_lines = int(row["n"])
    revenue = float(0.0 if pd.isna(row.get("revenue", 0.0)) else row.get("revenue", 0.0)) if has_price else None
    orders = count_orders(buys) if n_lines else 0
    users = int(events.aggregate(n=events.user_id.nunique()).to_pandas()["n"].iloc[0])
    viewers = events.filter(events.event == "view").select("user_id").distinct()
    n_viewers = int(viewers.count().to_pandas())
    conversion = None
    if n_viewers:
        bought = buys.select("user_id").distinct().semi_join(viewers, "user_id").count().to_pandas()
        conversion = rate(int(bought), n_viewers)
    if with_orders:
        per = buys.group_by("user_id").aggregate(k=buys.order_id.nunique())
    else:
        per = buys.group_by("user_id").aggregate(k=buys.timestamp.date().nunique())
    rp = per.aggregate(repeat=(per.k >= 2).cast("int64").sum(), n=per.count()).to_pandas().iloc[0]
    return Kpis(revenue=revenue, orders=orders, buyers=int(row["buyers"]), users=users, conversion=conversion,
                average_order_value=revenue / orders if revenue is not None and orders else None,
                repeat_purchase=rate(int(rp["repeat"] or 0), int(rp["n"])))


def daily_activity(events) -> pd.DataFrame:
    """One row per day: date, revenue, a count per event type (:func:`promo_core.kpis.daily_activity`)."""
    from ..quality import EVENT_DTYPE
    cats = list(EVENT_DTYPE.categories)
    cols = ["date", "revenue", *cats]
    dated = events.filter(events.timestamp.notnull())
    day = dated.timestamp.truncate("D")
    agg = {e: (dated.event == e).cast("int64").sum() for e in cats}
    has_price = "price" in events.columns or "line_total" in events.columns
    if has_price:
        buy = dated.event == "purchase"
        agg["revenue"] = buy.ifelse(_amount(dated), ibis_null()).sum()
        agg["_priced"] = (buy & _amount(dated).notnull()).cast("int64").sum()
    per = dated.group_by(date=day).aggregate(**agg).to_pandas()
    if per.empty:
        return pd.DataFrame(columns=cols)
    per["date"] = pd.to_datetime(per["date"]).astype("datetime64[ns]")
    per = per.set_index("date").sort_index()
    full = pd.date_range(per.index.min(), per.index.max(), freq="D", name="date")
    out = per.reindex(full)
    counts = out[cats].fillna(0).astype("int64")
    priced = has_price and int(per["_priced"].sum()) > 0
    revenue = out["revenue"].astype("float64").fillna(0.0) if priced else pd.Series(float("nan"), index=full)
    res = pd.concat([revenue.rename("revenue"), counts], axis=1).reset_index()
    res.columns = [str(c) for c in res.columns]
    return res.loc[:, [c for c in res.columns if c in ("date", "revenue") or res[c].sum() > 0]]


def ibis_null():
    import ibis
    return ibis.null().cast("float64")


def funnel(events) -> pd.DataFrame:
    """Users reaching view, cart and purchase (:func:`promo_core.kpis.funnel`)."""
    from ..kpis import FUNNEL
    per = events.group_by("event").aggregate(users=events.user_id.nunique()).to_pandas()
    users = dict(zip(per["event"].astype(str), per["users"].astype(int), strict=True))
    if "view" not in users:
        return pd.DataFrame(columns=["stage", "users", "share_of_first"])
    counts = [int(users.get(s, 0)) for s in FUNNEL]
    first = counts[0] or 1
    return pd.DataFrame({"stage": list(FUNNEL), "users": counts, "share_of_first": [100.0 * u / first for u in counts]})


def item_labels(events) -> dict[str, str]:
    """item_id -> label shown (its most frequent name; the id added where two items share a name),
    as :func:`promo_core.rules.item_labels`, counted in the engine."""
    import ibis
    named = events.filter(events.item_id.notnull())
    ids = named.select("item_id").distinct().to_pandas()["item_id"].astype(str)
    if "item_name" not in events.columns:
        return {i: i for i in ids}
    pairs = named.filter(named.item_name.notnull())
    c = pairs.group_by(["item_id", "item_name"]).aggregate(n=pairs.count())
    w = ibis.window(group_by=c.item_id, order_by=[ibis.desc(c.n), c.item_name])
    top = c.mutate(_r=ibis.row_number().over(w)).filter(lambda s: s._r == 0).select("item_id", "item_name").to_pandas()
    if top.empty:
        return {i: i for i in ids}
    labels = dict(zip(top["item_id"].astype(str), top["item_name"].astype(str), strict=True))
    for i in ids:
        labels.setdefault(i, i)
    counts = pd.Series(list(labels.values())).value_counts()
    dup = set(counts[counts > 1].index)
    return {i: (f"{lab} [{i}]" if lab in dup else lab) for i, lab in labels.items()}


def basket_lines(events, by: str = "order", level: str = "item", nonproduct: tuple[str, ...] = ()) -> pd.DataFrame:
    """The distinct (basket, item) purchase lines, small enough for the miner: a canonical frame that
    :func:`promo_core.rules.make_baskets` turns into the same baskets as from all the events.

    Item names are replaced by the labels of :func:`item_labels` (computed over all events), so the
    labels are those the full data would give.
    """
    col = "item_id" if level == "item" else "category"
    if col not in events.columns:
        what = _("an item column") if level == "item" else _("a category column")
        raise DataError(_("Basket rules at {level} level need {what}, and this dataset has none").format(
                            level=level, what=what), hint=_("Map the item (or category) column"))
    labels = item_labels(events) if level == "item" else {}
    buys = events.filter((events.event == "purchase") & events[col].notnull() & _not_nonproduct(events, nonproduct))
    with_orders = by == "order" and _has_order_ids(buys)
    day = buys.timestamp.date()
    keys = {"order_id": buys.order_id} if with_orders else {"_day": day}
    t = buys.mutate(**keys)
    group = ["user_id", *keys, col] if not with_orders else ["order_id", col]
    agg = t.group_by(group).aggregate(timestamp=t.timestamp.min(), **({"user_id": t.user_id.min()} if with_orders else {}))
    frame = agg.to_pandas()
    if not with_orders:
        frame = frame.drop(columns="_day")
    frame = normalise(frame)
    frame["event"] = "purchase"
    if level == "item":
        frame["item_name"] = frame["item_id"].astype(str).map(labels)
    # the first line of a basket names its user: order by time, then user, as the pandas events are sorted
    return frame.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)


def item_prices(events, labels: dict[str, str]) -> pd.Series:
    """Median unit price paid per item label (:func:`promo_core.rules.item_prices`), the medians taken in the
    engine (exact, as pandas: the mean of the two middle values for an even count)."""
    ok = (events.event == "purchase") & events.price.notnull() & events.item_id.notnull()
    buys = events.filter(ok)
    paid = _amount(buys) / buys.quantity
    if "discount" in buys.columns:
        paid = paid + buys.discount.fill_null(0.0)
    med = buys.mutate(_p=paid).group_by("item_id").aggregate(m=lambda t: t._p.quantile(0.5)).to_pandas()
    if med.empty:
        return pd.Series(dtype=float)
    med = normalise(med)
    s = pd.Series(med["m"].to_numpy(float), index=[labels.get(i, i) for i in med["item_id"].astype(str)])
    return s.groupby(level=0).median()


def lifecycle(events, rules=None, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Lifecycle stage per user (:func:`promo_core.segments.lifecycle`), the per-user inputs computed
    in the engine and the stage rule applied to the small table."""
    import ibis

    from ..segments import LifecycleRules
    rules = rules or LifecycleRules()
    rules.validate()
    as_of = default_as_of(events) if as_of is None else pd.Timestamp(as_of)
    as_s = float(as_of.timestamp())
    ev = events.filter(events.timestamp < ibis.timestamp(as_of.to_pydatetime()))
    recent_from = as_s - rules.active_days * DAY_S
    secs = _secs(ev.timestamp)
    buys = ev.filter(ev.event == "purchase")
    with_orders = _has_order_ids(buys)
    base = ev.group_by("user_id").aggregate(
        first=secs.min(), last=secs.max(),
        n_views=((ev.event == "view") & (secs >= recent_from)).cast("int64").sum())
    key = _order_key(buys, with_orders)
    b = buys.mutate(_k=key, _s=_secs(buys.timestamp))
    rb = b.filter(b._s >= recent_from)
    last_buy = b.group_by("user_id").aggregate(last_buy=b._s.max())
    n_buys = rb.group_by("user_id").aggregate(n_buys=rb._k.nunique())
    t = base.left_join(last_buy, "user_id").drop("user_id_right").left_join(n_buys, "user_id").drop("user_id_right")
    f = t.to_pandas().sort_values("user_id", kind="stable").reset_index(drop=True)
    has_views = int(ev.filter(ev.event == "view").count().to_pandas()) > 0
    day = DAY_S
    n_views = f["n_views"].fillna(0)
    n_b = f["n_buys"].fillna(0)
    lb = f["last_buy"]
    stage = np.select(
        [f["first"] >= as_s - rules.new_days * day, lb.isna(), lb < as_s - rules.churn_days * day,
         f["last"] < as_s - rules.silent_days * day,
         ((n_views > rules.active_views) | (not has_views)) & (n_b > rules.active_purchases)],
        ["New", "Never bought", "Churned", "Silent", "Active"], default="Occasional")
    return pd.DataFrame({"user_id": f["user_id"].astype(str).to_numpy(), "lifecycle": stage})


def ab_stats(table, variant: str, converted: str, revenue: str | None = None) -> pd.DataFrame:
    """A/B sufficient statistics per variant: users, conversions, revenue_sum, revenue_sum_sq (the
    aggregated-experiment contract; what the tests and intervals need), from a user-level table."""
    import ibis
    conv = table[converted]
    dt = conv.type()
    conv01 = conv.cast("int64") if (dt.is_boolean() or dt.is_numeric()) else ibis.cases(
        (conv.lower().strip().isin(["1", "true", "yes", "y", "t"]), 1), else_=0)
    agg = {"users": table.count(), "conversions": (conv01 > 0).cast("int64").sum()}
    if revenue is not None:
        r = table[revenue].cast("float64").fill_null(0.0)
        agg["revenue_sum"] = r.sum()
        agg["revenue_sum_sq"] = (r * r).sum()
    out = table.group_by(variant).aggregate(**agg).to_pandas()
    out = out.rename(columns={variant: "variant"})
    out["variant"] = out["variant"].astype(str)
    out = normalise(out, ints=("users", "conversions"))
    return out.sort_values("variant", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- the planner's baselines (promo_core.promotions.History)

def order_table(events, nonproduct: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per order, as :func:`promo_core.promotions._orders`: user_id, key, t (first line's time), v (gross
    value of the product lines) and n (units of the product lines). Orders are a small share of the events, so
    this table comes back to pandas; the lines stay in the engine."""
    buys = events.filter((events.event == "purchase") & events.price.notnull())
    if int(buys.count().to_pandas()) == 0:
        raise DataError(_("The planner needs purchases with prices to measure order values"),
                        hint=_("Load data with a price column"))
    gross = _amount(buys)
    if "discount" in buys.columns:
        gross = gross + buys.discount.fill_null(0.0) * buys.quantity
    product = _not_nonproduct(buys, nonproduct)
    units = buys.quantity.fill_null(1.0).clip(lower=0.0)
    t = buys.mutate(_key=_order_key(buys, _has_order_ids(buys)), _g=product.ifelse(gross, 0.0),
                    _n=product.ifelse(units, 0.0))
    agg = t.group_by(["user_id", "_key"]).aggregate(t=t.timestamp.min(), v=t._g.sum(), n=t._n.sum())
    frame = normalise(agg.to_pandas()).rename(columns={"_key": "key"})
    frame["key"] = frame["key"].astype(str)
    frame[["v", "n"]] = frame[["v", "n"]].fillna(0.0)
    from ..promotions import ORDER_VALUE_DECIMALS
    frame["v"] = frame["v"].round(ORDER_VALUE_DECIMALS)   # as promo_core.promotions._orders: thresholds compare alike
    return frame[["user_id", "key", "t", "v", "n"]]


def first_seen(events) -> pd.Series:
    """The time of each user's first event (indexed by user id as text)."""
    frame = normalise(events.group_by("user_id").aggregate(first=events.timestamp.min()).to_pandas())
    return pd.Series(frame["first"].to_numpy(), index=pd.Index(frame["user_id"].astype(str), name="user_id"),
                     name="timestamp")


def time_span(events) -> tuple[pd.Timestamp, pd.Timestamp]:
    row = events.aggregate(a=events.timestamp.min(), b=events.timestamp.max()).to_pandas().iloc[0]
    return pd.Timestamp(row["a"]), pd.Timestamp(row["b"])


def hour_shares(events, segments: pd.DataFrame) -> dict | None:
    """:func:`promo_core.promotions.activity_by_hour` in the engine: the segmentation (one row per user) goes to
    the engine and only 24 counts per segment come back."""
    import ibis
    import numpy as np
    hour, minute = events.timestamp.hour(), events.timestamp.minute()
    timed = events.filter((hour != 0) | (minute != 0)).limit(1).count().to_pandas()
    if int(timed) == 0:
        return None
    seg = ibis.memtable(pd.DataFrame({"_uid": segments["user_id"].astype(str).to_numpy(),
                                      "_segment": segments["segment"].astype(str).to_numpy()}))
    ev = events.select(_uid=events.user_id.cast("string"), _h=hour)
    j = ev.inner_join(seg, "_uid")
    counts = j.group_by(["_segment", "_h"]).aggregate(n=j.count()).to_pandas()
    if counts.empty:
        return {}
    table = counts.pivot_table(index="_segment", columns="_h", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=range(24), fill_value=0)
    out = {}
    for k, row in table.iterrows():
        row = row.astype(np.float64)
        if row.sum() > 0:
            out[str(k)] = (row / row.sum()).to_numpy(dtype=float)
    return out


# ---------------------------------------------------------------- lifetime value inputs (promo_core.clv.PurchaseDays)

def purchase_days(events, returns=None, nonproduct: tuple[str, ...] = ()):
    """:func:`promo_core.clv.purchase_days` in the engine: the product value bought and returned per customer and
    day, and each user's first event; only these per-day tables come back."""
    from ..clv import VALUE_DECIMALS, PurchaseDays, no_days
    first, last = time_span(events)
    empty = no_days()
    if pd.isna(first):
        return PurchaseDays(empty, empty, pd.Series(dtype="datetime64[ns]"), None, None)

    def by_day(t, value) -> pd.DataFrame:
        agg = t.mutate(_day=t.timestamp.truncate("D"), _v=value).group_by(["user_id", "_day"]).aggregate(
            value=lambda x: x._v.sum())
        frame = normalise(agg.to_pandas()).rename(columns={"_day": "day"})
        if frame.empty:
            return empty
        frame["value"] = frame["value"].fillna(0.0).round(VALUE_DECIMALS)
        frame["user_id"] = frame["user_id"].astype(str)
        return frame[["user_id", "day", "value"]].sort_values(["user_id", "day"]).reset_index(drop=True)
    buys = events.filter((events.event == "purchase") & events.timestamp.notnull())
    bought = by_day(buys, _not_nonproduct(buys, nonproduct).ifelse(_amount(buys).fill_null(0.0), 0.0))
    returned = empty
    if returns is not None:
        r = returns.filter(returns.timestamp.notnull() & _not_nonproduct(returns, nonproduct))
        returned = by_day(r, (r.price * r.quantity.abs()).fill_null(0.0))
    priced = int(buys.filter(buys.price.notnull()).limit(1).count().to_pandas()) > 0
    return PurchaseDays(bought, returned, first_seen(events), pd.Timestamp(first), pd.Timestamp(last), priced)


def order_times(events) -> pd.DataFrame:
    """One row per order with a time (u: user, k: order, t: its first line's time), for
    :func:`promo_core.segments.gaps_of_orders`."""
    buys = events.filter((events.event == "purchase") & events.timestamp.notnull())
    t = buys.mutate(_k=_order_key(buys, _has_order_ids(buys)))
    frame = normalise(t.group_by(["user_id", "_k"]).aggregate(t=t.timestamp.min()).to_pandas())
    return pd.DataFrame({"u": frame["user_id"].astype(str), "k": frame["_k"].astype(str), "t": frame["t"]})


# ---------------------------------------------------------------- recommendations (promo_core.recommend.purchase_pairs)

def purchase_pairs(events, nonproduct: tuple[str, ...] = (), max_rows: int | None = None) -> pd.DataFrame:
    """:func:`promo_core.recommend.purchase_pairs` from the engine: identical lines are counted there and
    repeated here, so the table is the in-memory one (one row per product purchase line). More than ``max_rows``
    lines is a DataError (the recommender holds them in memory)."""
    if "item_id" not in events.columns or int(events.aggregate(n=events.item_id.count()).to_pandas()["n"].iloc[0]) == 0:
        raise DataError(_("Recommendations need an item column, and this dataset has none"),
                        hint=_("Map the item column on the Data page"))
    buys = events.filter((events.event == "purchase") & events.item_id.notnull() & _not_nonproduct(events, nonproduct))
    lines = int(buys.count().to_pandas())
    if lines == 0:
        raise DataError(_("There are no purchases to learn from"), hint=_("Recommendations need purchase rows"))
    if max_rows is not None and lines > max_rows:
        raise DataError(_("Recommendations hold every purchase line in memory, and this source has {n}, more than the "
                          "{cap} the server reads").format(n=f"{lines:,}", cap=f"{max_rows:,}"),
                        hint=_("Load a smaller slice (one month, or a narrower file pattern), or ask the "
                               "administrator to raise [sources] engine_rows_in_memory"))
    labels = item_labels(events)
    t = buys.mutate(_order=_order_key(buys, _has_order_ids(buys)))
    g = t.group_by(["user_id", "item_id", "timestamp", "_order"]).aggregate(_lines=t.count())
    frame = normalise(g.to_pandas())
    frame = frame.loc[frame.index.repeat(frame["_lines"].to_numpy())]
    out = pd.DataFrame({"user_id": frame["user_id"].astype(str).to_numpy(),
                        "item": frame["item_id"].astype(str).map(labels).to_numpy(),
                        "timestamp": frame["timestamp"].to_numpy(), "order": frame["_order"].astype(str).to_numpy()})
    return out.sort_values(["timestamp", "user_id", "item"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- campaign readout on loaded data

def campaign_outcomes(events, start: pd.Timestamp, end: pd.Timestamp, nonproduct: tuple[str, ...] = ()):
    """:func:`promo_core.campaigns.readout.outcomes_from_events` in the engine: one row per customer who bought in
    [start, end), with the product revenue and discount of the period."""
    import ibis

    from ..campaigns.readout import outcomes_frame
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    if not lo < hi:
        raise DataError(_("The campaign period ends before it starts"), hint=_("Choose an end after the start"))
    ts = events.timestamp
    buys = events.filter((events.event == "purchase") & (ts >= ibis.timestamp(lo.to_pydatetime()))
                         & (ts < ibis.timestamp(hi.to_pydatetime())) & _not_nonproduct(events, nonproduct))
    has_rev = int(buys.filter(buys.price.notnull()).limit(1).count().to_pandas()) > 0
    rev = _amount(buys).fill_null(0.0) if has_rev else ibis.literal(0.0)
    disc = buys.discount.fill_null(0.0) * buys.quantity if "discount" in buys.columns else ibis.literal(0.0)
    t = buys.mutate(_rev=rev, _disc=disc)
    per = normalise(t.group_by("user_id").aggregate(revenue=t._rev.sum(), discount=t._disc.sum()).to_pandas())
    per = per.sort_values("user_id").reset_index(drop=True)
    per[["revenue", "discount"]] = per[["revenue", "discount"]].fillna(0.0)
    return outcomes_frame(per[["user_id", "revenue", "discount"]], has_rev, lo, hi)
