"""Generated experiment files of the shapes managers bring (seeded, with planted effects).

* ``hillstrom``: the MineThatData e-mail test's layout — ``recency`` (12 values) first, arms in
  ``segment`` ("Mens E-Mail", "Womens E-Mail", "No E-Mail"), outcomes ``visit``/``conversion``,
  revenue ``spend``, plus 0/1 covariates (mens, womens, newbie) and a 7-value ``history_segment``.
* ``cookie_cats``: ``userid``, arms in ``version`` (gate_30, gate_40; no control name),
  ``sum_gamerounds`` and ``retention_1``/``retention_7`` as TRUE/FALSE.
* ``landing_page``: ``user_id``, ``timestamp``, ``group`` (control/treatment), ``landing_page``
  (old_page/new_page) with rows that disagree with ``group`` and repeated user ids.
* ``split_90_10``: a deliberate 90/10 test (control/promo) with revenue including refunds.
* ``chinese_ab``: a Chinese export — ``顾客`` (user id), ``分组`` (对照/实验), ``是否购买`` (TRUE/FALSE),
  ``金额``; ``dirty=True`` adds 42 users in both arms, 27 rows with no arm and 49 repeated rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HILLSTROM_RATES = {"Mens E-Mail": (0.18, 0.0125), "Womens E-Mail": (0.15, 0.0088), "No E-Mail": (0.106, 0.0057)}


def hillstrom(n: int = 12000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seg = rng.choice(list(HILLSTROM_RATES), n)
    visit_p = np.array([HILLSTROM_RATES[s][0] for s in seg])
    conv_p = np.array([HILLSTROM_RATES[s][1] for s in seg])
    visit = rng.random(n) < visit_p
    conversion = rng.random(n) < conv_p / visit_p  # converters visited first
    conversion &= visit
    spend = np.where(conversion, rng.gamma(2.0, 55.0, n).round(2), 0.0)
    hist = [f"{i}) ${lo:,} - ${hi:,}" for i, (lo, hi) in
            enumerate([(0, 100), (100, 200), (200, 350), (350, 500), (500, 750), (750, 1000), (1000, 9999)], 1)]
    return pd.DataFrame({
        "recency": rng.integers(1, 13, n), "history_segment": rng.choice(hist, n, p=[.35, .22, .19, .1, .08, .03, .03]),
        "history": rng.gamma(1.5, 160, n).round(2), "mens": rng.integers(0, 2, n), "womens": rng.integers(0, 2, n),
        "zip_code": rng.choice(["Surburban", "Rural", "Urban"], n), "newbie": rng.integers(0, 2, n),
        "channel": rng.choice(["Phone", "Web", "Multichannel"], n, p=[.44, .44, .12]), "segment": seg,
        "visit": visit.astype(int), "conversion": conversion.astype(int), "spend": spend})


def cookie_cats(n: int = 10000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    version = rng.choice(["gate_30", "gate_40"], n)
    r7 = rng.random(n) < np.where(version == "gate_30", 0.19, 0.175)
    r1 = r7 | (rng.random(n) < 0.38)
    to_text = np.array(["FALSE", "TRUE"])
    return pd.DataFrame({"userid": rng.choice(np.arange(100, 10 ** 7), n, replace=False), "version": version,
                         "sum_gamerounds": rng.negative_binomial(1, 0.02, n),
                         "retention_1": to_text[r1.astype(int)], "retention_7": to_text[r7.astype(int)]})


def landing_page(n: int = 20000, seed: int = 2, repeats: int = 260, flipped: int = 0) -> pd.DataFrame:
    """``n`` users, then ``repeats`` extra rows repeating a user id with the other page (a user who
    saw both pages; every fifth of them also in the other group) and ``flipped`` single rows whose page disagrees with the group. The extra,
    conflicting rows convert at 30%, so analysing them changes the answer."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(600_000, 950_000), n, replace=False)
    group = rng.choice(["control", "treatment"], n)
    page = np.where(group == "control", "old_page", "new_page")
    start = pd.Timestamp("2017-01-02")
    times = start + pd.to_timedelta(np.sort(rng.integers(0, 21 * 86400, n)), "s")
    converted = (rng.random(n) < np.where(group == "control", 0.120, 0.124)).astype(int)
    base = pd.DataFrame({"user_id": ids, "timestamp": times, "group": group, "landing_page": page,
                         "converted": converted})
    dup = base.sample(repeats, random_state=seed).copy()
    dup["landing_page"] = np.where(dup["landing_page"] == "old_page", "new_page", "old_page")
    moved = np.arange(repeats) % 5 == 0  # every fifth repeat moved arm altogether (page and group agree)
    dup.loc[moved, "group"] = np.where(dup.loc[moved, "group"] == "control", "treatment", "control")
    dup["timestamp"] = dup["timestamp"] + pd.Timedelta(hours=5)
    dup["converted"] = (rng.random(repeats) < np.where(dup["group"] == "treatment", 0.30, 0.12)).astype(int)
    out = pd.concat([base, dup])
    if flipped:
        idx = rng.choice(n, flipped, replace=False)
        out.iloc[idx, out.columns.get_loc("landing_page")] = np.where(
            out.iloc[idx]["landing_page"] == "old_page", "new_page", "old_page")
    return out.sort_values("timestamp", kind="stable").reset_index(drop=True).assign(
        timestamp=lambda d: d["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S.%f"))


def split_90_10(n: int = 10000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    variant = rng.choice(["control", "promo"], n, p=[0.9, 0.1])
    converted = (rng.random(n) < np.where(variant == "promo", 0.12, 0.08)).astype(int)
    revenue = np.where(converted == 1, rng.gamma(2, 25, n).round(2), 0.0)
    refund = (converted == 1) & (rng.random(n) < 0.05)
    revenue = np.where(refund, -revenue, revenue)
    orders = np.where(converted == 1, rng.integers(1, 4, n), 0)
    return pd.DataFrame({"customer_id": [f"C{i:06d}" for i in range(n)], "variant": variant,
                         "converted": converted, "orders": orders, "revenue": revenue,
                         "unsubscribed": (rng.random(n) < np.where(variant == "promo", 0.02, 0.015)).astype(int)})


def chinese_ab(n: int = 4000, seed: int = 5, dirty: bool = False) -> pd.DataFrame:
    """The walk's Chinese file: a planted lift (9.4% -> 12.8%); ``dirty`` adds 91 rows repeating a user
    (42 of them in the other arm, 49 plain copies) and blanks the arm of 27 rows."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "对照", "实验")
    bought = rng.random(n) < np.where(arm == "对照", 0.094, 0.128)
    amount = np.where(bought, rng.gamma(2.0, 25.0, n).round(2), 0.0)
    frame = pd.DataFrame({"顾客": [f"U{i:05d}" for i in range(n)], "分组": arm,
                          "是否购买": np.where(bought, "TRUE", "FALSE"), "金额": amount})
    if not dirty:
        return frame
    moved = frame.sample(42, random_state=seed).assign(分组=lambda d: np.where(d["分组"] == "对照", "实验", "对照"))
    copies = frame.drop(moved.index).sample(49, random_state=seed + 1)
    out = pd.concat([frame, moved, copies]).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    blank = out.index[~out["顾客"].isin(moved["顾客"]) & ~out["顾客"].isin(copies["顾客"])][:27]
    out.loc[blank, "分组"] = ""
    return out
