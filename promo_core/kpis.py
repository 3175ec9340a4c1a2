"""Headline numbers of a dataset: revenue, orders, buyers, conversion, order value, repeat rate.

Input is the canonical events frame (see :class:`promo_core.quality.Dataset`). Revenue is the sum
over purchase events of ``line_total`` where the file has line totals, else ``price x quantity``
(the price after any discount): :func:`line_amount`. An order is an order id,
or one user's purchases on one day when there is no order id.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from .features import count_table
from .quality import count_orders, discount_breakdown, line_amount

FUNNEL = ("view", "cart", "purchase")


@dataclass(frozen=True)
class Rate:
    """A share with its 95% Wilson interval."""

    value: float
    low: float
    high: float
    successes: int
    trials: int


def rate(successes: int, trials: int, alpha: float = 0.05) -> Rate | None:
    if trials <= 0:
        return None
    low, high = proportion_confint(successes, trials, alpha=alpha, method="wilson")
    return Rate(successes / trials, float(low), float(high), int(successes), int(trials))


@dataclass(frozen=True)
class Kpis:
    revenue: float | None
    orders: int
    buyers: int
    users: int
    conversion: Rate | None       # share of users with a view who bought (None without views)
    average_order_value: float | None
    repeat_purchase: Rate | None  # share of buyers with two or more orders

    def to_dict(self) -> dict:
        return asdict(self)


def _revenue(purchases: pd.DataFrame) -> pd.Series:
    return line_amount(purchases)


__all__ = ["Kpis", "Rate", "daily_activity", "discount_breakdown", "funnel", "line_amount", "rate", "summarise"]


def summarise(events: pd.DataFrame) -> Kpis:
    """Headline KPIs of a canonical events frame."""
    purchases = events[events["event"] == "purchase"]
    has_price = purchases["price"].notna().any() or ("line_total" in purchases
                                                     and purchases["line_total"].notna().any())
    revenue = float(_revenue(purchases).sum()) if has_price else None
    orders = count_orders(purchases) if len(purchases) else 0
    buyers = int(purchases["user_id"].nunique())
    viewers = events.loc[events["event"] == "view", "user_id"].unique()
    conversion = None
    if len(viewers):
        bought = purchases.loc[purchases["user_id"].isin(viewers), "user_id"].nunique()
        conversion = rate(int(bought), len(viewers))
    per_buyer = _orders_per_user(purchases)
    return Kpis(revenue=revenue, orders=orders, buyers=buyers, users=int(events["user_id"].nunique()),
                conversion=conversion,
                average_order_value=revenue / orders if revenue is not None and orders else None,
                repeat_purchase=rate(int((per_buyer >= 2).sum()), len(per_buyer)))


def _orders_per_user(purchases: pd.DataFrame) -> pd.Series:
    if "order_id" in purchases and purchases["order_id"].notna().any():
        return purchases.groupby("user_id", observed=True)["order_id"].nunique()
    day = purchases["timestamp"].dt.normalize()
    return purchases.assign(day=day).groupby("user_id", observed=True)["day"].nunique()


def daily_activity(events: pd.DataFrame) -> pd.DataFrame:
    """One row per day: date, revenue (NaN without prices), then a count column per event type.

    Days without events are present with zeros, so a chart shows gaps as gaps.
    """
    cols = ["date", "revenue", *[e for e in events["event"].cat.categories]]
    if events["timestamp"].isna().all():
        return pd.DataFrame(columns=cols)
    day = events["timestamp"].dt.normalize().rename("date")
    counts = count_table(day, events["event"].astype("str")).reindex(columns=events["event"].cat.categories,
                                                                      fill_value=0)
    purchases = events["event"] == "purchase"
    rev = (_revenue(events[purchases]).groupby(day[purchases]).sum(min_count=1)
           if events.loc[purchases, "price"].notna().any() else pd.Series(dtype=float))
    full = pd.date_range(day.min(), day.max(), freq="D", name="date")
    out = counts.reindex(full, fill_value=0)
    out.insert(0, "revenue", rev.reindex(full).fillna(0.0) if len(rev) else np.nan)
    out = out.reset_index()
    out.columns = [str(c) for c in out.columns]
    return out.loc[:, [c for c in out.columns if c in ("date", "revenue") or out[c].sum() > 0]]


#: the share of events at either end of the data that may lie far from the rest before the range is called stretched
STRAY_SHARE = 0.001


def stray_days(daily: pd.DataFrame) -> dict | None:
    """Whether a few events far from the rest stretch the data's date range (a log of nine days whose first event is
    two months earlier), from :func:`daily_activity`.

    The core is the days between the first at which more than :data:`STRAY_SHARE` of the events have happened and
    the last after which more than that share are still to come. Returns ``None`` unless the core covers at most half
    of the range and the range is at least a week longer; otherwise the core's first and last day, the events outside
    it, their share, and the range's first and last day."""
    if daily.empty:
        return None
    counts = daily.drop(columns=[c for c in ("date", "revenue") if c in daily]).sum(axis=1).to_numpy(dtype=float)
    total = counts.sum()
    if total <= 0:
        return None
    dates = pd.to_datetime(daily["date"]).to_numpy()
    ahead, behind = np.cumsum(counts), np.cumsum(counts[::-1])[::-1]
    lo = int(np.argmax(ahead > STRAY_SHARE * total))
    hi = len(counts) - 1 - int(np.argmax(behind[::-1] > STRAY_SHARE * total))
    full, core = len(counts), hi - lo + 1
    if core > 0.5 * full or full - core < 7:
        return None
    outside = float(counts[:lo].sum() + counts[hi + 1:].sum())
    seen = np.flatnonzero(counts > 0)
    return {"core_first": pd.Timestamp(dates[lo]), "core_last": pd.Timestamp(dates[hi]), "outside": int(outside),
            "share_inside": 1 - outside / total, "first": pd.Timestamp(dates[seen[0]]),
            "last": pd.Timestamp(dates[seen[-1]])}


def funnel(events: pd.DataFrame) -> pd.DataFrame:
    """Users reaching each stage of view -> cart -> purchase.

    Columns: stage, users (distinct users with at least one such event), share_of_first (%).
    Empty when the data has no views (transaction-only files have no funnel).
    """
    present = set(events["event"].unique())
    if "view" not in present:
        return pd.DataFrame(columns=["stage", "users", "share_of_first"])
    users = [int(events.loc[events["event"] == s, "user_id"].nunique()) for s in FUNNEL]
    first = users[0] or 1
    return pd.DataFrame({"stage": list(FUNNEL), "users": users,
                         "share_of_first": [100.0 * u / first for u in users]})
