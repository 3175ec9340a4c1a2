"""Per-user profile: RFM and behaviour features from canonical events.

Input: the canonical events frame (:class:`promo_core.quality.Dataset.events`).
Output of :func:`build_profiles`: one row per user, columns (units in brackets):

=========================  ======================================================================
user_id                    str
recency_days               days from the user's last purchase to ``as_of`` (NaN: never bought)
frequency                  orders (distinct order ids; without them, purchase days)
monetary                   net sales: gross_sales - returns (0 without prices); may be negative when
                           returns of earlier purchases exceed what was bought in the data
gross_sales                sum of price x quantity over product purchase lines (non-product lines
                           such as postage, fees and manual adjustments left out)
returns                    value of the user's cancelled or returned product lines (>= 0)
return_rate                returns / gross_sales (NaN without gross sales; above 1 when a customer
                           returned more than they bought within the data)
tenure_days                days from the user's first event to ``as_of``
days_since_last_event      days from the user's last event of any kind to ``as_of``
avg_order_value            net sales / frequency (NaN: never bought)
purchase_interval_days     mean days between consecutive orders = (last - first) / (orders - 1)
                           (NaN with fewer than two orders)
views, carts               counts of view and cart events
purchase_lines             count of purchase events (lines)
view_to_cart               carts / views, capped at 1 (NaN without views)
cart_to_purchase           purchase lines / carts, capped at 1 (NaN without carts)
discount_share             share of purchase lines bought at a discount (only with a discount
                           column; NaN: never bought)
favourite_category         category with most of the user's events (only with a category column;
                           non-product lines left out)
share_<category>           share of the user's events in that category (top 12 categories;
                           the rest in share_other)
attributes                 user attribute columns, the user's most recent value
=========================  ======================================================================

``as_of`` defaults to the day after the last event in the data, so recency counts whole days.
Frequency and recency count every order, non-product lines included (a Manual-only invoice is
still an order), so the number of customers does not depend on which lines are products.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import MONEY_DECIMALS, DataError, is_canonical, line_amount

DAY = pd.Timedelta(days=1)
MAX_CATEGORY_SHARES = 12
PROFILE_BASE = ("recency_days", "frequency", "monetary", "gross_sales", "returns", "return_rate", "tenure_days", "days_since_last_event",
                "avg_order_value", "purchase_interval_days", "views", "carts", "purchase_lines",
                "view_to_cart", "cart_to_purchase")


def count_table(rows: pd.Series, cols: pd.Series, normalize: bool = False) -> pd.DataFrame:
    """Counts of (row, column) pairs as a wide table; a fast stand-in for pd.crosstab, which
    falls back to a per-group Python loop in pandas 3 (100x slower on a million rows)."""
    tab = pd.DataFrame({"r": rows.to_numpy(), "c": cols.to_numpy()}).groupby(["r", "c"], observed=True).size()
    wide = tab.unstack("c", fill_value=0)
    wide.index.name, wide.columns.name = rows.name, cols.name
    return wide.div(wide.sum(axis=1), axis=0) if normalize else wide


def default_as_of(events: pd.DataFrame) -> pd.Timestamp:
    """The day after the last event (midnight), so a purchase on the last day has recency 1."""
    return events["timestamp"].max().normalize() + DAY


def order_keys(purchases: pd.DataFrame) -> pd.Series:
    """The order a purchase line belongs to: its order id, or 'user|day' without one."""
    if "order_id" in purchases and purchases["order_id"].notna().any():
        return purchases["order_id"].astype("str")
    return purchases["user_id"].astype("str") + "|" + purchases["timestamp"].dt.strftime("%Y-%m-%d")


class EventHistory:
    """Per-user questions about events in memory, asked as of earlier dates: the data's end and first time, the
    profiles as of a date, who bought from a date on, and the lifecycle stages as of a date. The propensity model
    and the lifecycle back-test read only these; an engine dataset answers the same questions in the engine
    (:meth:`promo_core.engines.dataset.EngineDataset.event_history`)."""

    def __init__(self, events: pd.DataFrame) -> None:
        self.events = events

    def as_of(self) -> pd.Timestamp:
        return default_as_of(self.events)

    def first(self) -> pd.Timestamp:
        return self.events["timestamp"].min()

    def profiles(self, as_of: pd.Timestamp) -> pd.DataFrame:
        return build_profiles(self.events, as_of=as_of)

    def buyers_since(self, t: pd.Timestamp) -> np.ndarray:
        ev = self.events
        return ev.loc[(ev["event"] == "purchase") & (ev["timestamp"] >= t), "user_id"].unique()

    def lifecycle(self, rules, as_of: pd.Timestamp) -> pd.DataFrame:
        from .segments import lifecycle
        return lifecycle(self.events, rules, as_of=as_of)


def event_history(events) -> EventHistory:
    """``events`` as an :class:`EventHistory` (an object with its methods, such as an engine's, as it is)."""
    return EventHistory(events) if isinstance(events, pd.DataFrame) else events


def customer_profiles(ds, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """:func:`build_profiles` of a :class:`promo_core.quality.Dataset`: its returns and its
    non-product items taken into account."""
    return build_profiles(ds.events, as_of, returns=ds.returns, nonproduct=ds.nonproduct)


def build_profiles(events: pd.DataFrame, as_of: pd.Timestamp | None = None, *,
                   returns: pd.DataFrame | None = None, nonproduct: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per user with RFM and behaviour features (see the module docstring).

    Parameters
    ----------
    events : DataFrame
        Canonical events. Rows at or after ``as_of`` are ignored.
    as_of : Timestamp, optional
        The reference time; defaults to :func:`default_as_of`.
    returns : DataFrame, optional
        Cancelled/returned purchase lines (:attr:`Dataset.returns`); subtracted from gross sales.
    nonproduct : tuple of str
        Item ids that are not products (:attr:`Dataset.nonproduct`); left out of sales and
        favourite category.
    """
    from .nonproduct import is_nonproduct
    if events["timestamp"].isna().all():
        raise DataError("Customer profiles need times, and this dataset has none (a basket file)",
                        hint="Upload events or transactions with a time column to see segments")
    as_of = default_as_of(events) if as_of is None else pd.Timestamp(as_of)
    ev = events[events["timestamp"] < as_of]
    if ev.empty:
        raise DataError(f"No events before {as_of:%Y-%m-%d}", hint="Choose a later reference date")
    uid = ev["user_id"]
    g = ev.groupby(uid, sort=True, observed=True)["timestamp"]
    out = pd.DataFrame({"first": g.min(), "last": g.max()})
    out.index.name = "user_id"
    kind = ev["event"].astype("str")
    counts = count_table(uid, kind)
    for e, name in (("view", "views"), ("cart", "carts"), ("purchase", "purchase_lines")):
        out[name] = counts[e].reindex(out.index, fill_value=0).astype("int64") if e in counts else 0

    buys = ev[kind == "purchase"]
    if len(buys):
        value = line_amount(buys).fillna(0.0).where(~is_nonproduct(buys, nonproduct), 0.0)
        orders = pd.DataFrame({"user_id": buys["user_id"], "key": order_keys(buys),
                               "t": buys["timestamp"], "v": value})
        per_order = orders.groupby(["user_id", "key"], sort=False, observed=True).agg(t=("t", "min"),
                                                                                       v=("v", "sum"))
        per_user = per_order.groupby(level="user_id", observed=True).agg(
            frequency=("v", "size"), monetary=("v", "sum"), first_order=("t", "min"), last_order=("t", "max"))
        per_user = per_user.reindex(out.index)
        out["frequency"] = per_user["frequency"].fillna(0).astype("int64")
        out["gross_sales"] = per_user["monetary"].fillna(0.0)
        out["recency_days"] = (as_of - per_user["last_order"]) / DAY
        span = (per_user["last_order"] - per_user["first_order"]) / DAY
        out["purchase_interval_days"] = (span / (out["frequency"] - 1)).where(out["frequency"] >= 2)
    else:
        out["frequency"], out["gross_sales"] = 0, 0.0
        out["recency_days"] = out["purchase_interval_days"] = np.nan
    out["returns"] = 0.0
    if returns is not None and len(returns):
        r = returns[(returns["timestamp"] < as_of) & ~is_nonproduct(returns, nonproduct)]
        rv = (r["price"] * r["quantity"].abs()).fillna(0.0).groupby(r["user_id"].astype(str), observed=True).sum()
        out["returns"] = rv.reindex(out.index.astype(str)).fillna(0.0).to_numpy()
    settle_money(out)
    out["tenure_days"] = (as_of - out["first"]) / DAY
    out["days_since_last_event"] = (as_of - out["last"]) / DAY
    out["view_to_cart"] = (out["carts"] / out["views"]).clip(upper=1).where(out["views"] > 0)
    out["cart_to_purchase"] = (out["purchase_lines"] / out["carts"]).clip(upper=1).where(out["carts"] > 0)
    cols = list(PROFILE_BASE)
    if "discount" in ev and len(buys):
        disc = (buys["discount"].fillna(0) > 0).groupby(buys["user_id"], observed=True).mean()
        out["discount_share"] = disc.reindex(out.index)
        cols.append("discount_share")
    if "category" in ev and ev["category"].notna().any():
        shares, fav = _category_shares(ev[~is_nonproduct(ev, nonproduct)])
        out["favourite_category"] = fav.reindex(out.index)
        out = out.join(shares.reindex(out.index).fillna(0.0))
        cols += ["favourite_category", *shares.columns]
    attrs = [c for c in ev.columns if c not in _CANONICAL and not is_canonical(c)]
    if attrs:
        last = ev.loc[:, ["user_id", *attrs]].groupby("user_id", observed=True).last()
        out = out.join(last)
        cols += attrs
    return out.loc[:, cols].reset_index()


def settle_money(profiles: pd.DataFrame) -> pd.DataFrame:
    """Round ``gross_sales`` and ``returns`` to :data:`promo_core.schema.MONEY_DECIMALS` and derive ``monetary``, ``return_rate`` and
    ``avg_order_value`` from the rounded sums, in place; the in-memory profiles and the engine's both end here."""
    gross = profiles["gross_sales"].astype("float64").round(MONEY_DECIMALS)
    ret = profiles["returns"].astype("float64").round(MONEY_DECIMALS)
    freq = profiles["frequency"]
    profiles["gross_sales"], profiles["returns"] = gross, ret
    profiles["monetary"] = gross - ret
    profiles["return_rate"] = (ret / gross).where(gross > 0)
    profiles["avg_order_value"] = (profiles["monetary"] / freq).where(freq > 0)
    return profiles


_CANONICAL = {"user_id", "timestamp", "event", "item_id", "item_name", "category", "price", "quantity",
              "order_id", "discount"}


def _category_shares(ev: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    cat = ev["category"].astype("str").where(ev["category"].notna(), "unknown")
    top = cat.value_counts().index[:MAX_CATEGORY_SHARES]
    binned = cat.where(cat.isin(top), "other")
    tab = count_table(ev["user_id"], binned, normalize=True)
    fav = count_table(ev["user_id"], cat).idxmax(axis=1)
    tab.columns = [f"share_{c}" for c in tab.columns]
    return tab, fav


def numeric_features(profiles: pd.DataFrame) -> list[str]:
    """Profile columns that can feed clustering (numeric, not the id)."""
    return [c for c in profiles.columns if c != "user_id" and pd.api.types.is_numeric_dtype(profiles[c])]


#: features where log1p helps (counts and money, long right tails)
LOG_FEATURES = {"frequency", "monetary", "gross_sales", "returns", "views", "carts", "purchase_lines", "avg_order_value",
                "recency_days", "tenure_days", "days_since_last_event", "purchase_interval_days"}


def feature_frame(profiles: pd.DataFrame, features: list[str] | tuple[str, ...], use_log: bool = False
                  ) -> pd.DataFrame:
    """Numeric model inputs with every gap filled by its meaning.

    Recency of never-buyers = the longest recency + 1 day; ratios, shares, order values and
    intervals of users without those events = 0. With ``use_log``, counts and money are log1p'd.
    """
    missing = [f for f in features if f not in profiles.columns]
    if missing:
        raise DataError(f"Feature(s) {', '.join(missing)} are not in the profiles",
                        hint=f"Choose from: {', '.join(numeric_features(profiles))}")
    out = {}
    for f in features:
        s = pd.to_numeric(profiles[f], errors="coerce").astype("float64")
        if f == "recency_days":
            s = s.fillna((s.max() if s.notna().any() else 0.0) + 1.0)
        s = s.fillna(0.0)
        out[f] = np.log1p(s.clip(lower=0)) if use_log and f in LOG_FEATURES else s
    return pd.DataFrame(out, index=profiles.index)
