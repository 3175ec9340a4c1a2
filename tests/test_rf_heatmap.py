"""The RFM heat map on the Value groups page: each cell named after the group holding most of its customers,
counts that add up to every scored buyer, and names wrapped between words (never inside one)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from promo_core.charts import _wrap_label, fig_rf_heatmap
from promo_core.i18n import locale_context
from promo_core.segments import RETURNED_ALL, rf_grid, rfm


def _cell_text(fig, r: int, f: int) -> str:
    """The text of the heat-map cell for R score ``r`` and F score ``f`` (rows are F 1-5, columns R 1-5)."""
    return fig.data[0].text[f - 1][r - 1]


def test_a_cell_is_named_after_its_majority_not_its_first_row():
    # five buyers, all R1 F1: the first one returned everything, the other four are Lost
    prof = pd.DataFrame({"user_id": list("vwxyz") + list("abcdefghij"),
                         "recency_days": [400] * 5 + list(range(1, 11)),
                         "frequency": [1] * 5 + list(range(2, 12)), "monetary": [10.0] * 15,
                         "return_rate": [1.0] + [0.0] * 14})
    scores = rfm(prof)
    assert scores.loc[0, "rfm_segment"] == RETURNED_ALL and scores.loc[1, "rfm_segment"] == "Lost"
    grid = rf_grid(scores, prof).set_index(["r_score", "f_score"])
    cell = grid.loc[(1, 1)]
    assert cell["rfm_segment"] == "Lost" and cell["users"] == 5 and cell["segment_users"] == 4
    assert cell["mix"] == (("Lost", 4), (RETURNED_ALL, 1))
    assert grid["users"].sum() == 15
    fig = fig_rf_heatmap(rf_grid(scores, prof))
    assert _cell_text(fig, 1, 1) == "Lost<br>5"
    assert "Lost: 4" in fig.data[0].customdata[0][0] and "everything: 1" in fig.data[0].customdata[0][0]


@pytest.mark.parametrize(("name", "lines"), [
    ("Loyal", ["Loyal"]), ("Champions", ["Champions"]), ("Hibernating", ["Hibernating"]),
    ("Potential Loyalist", ["Potential", "Loyalist"]), ("Can't Lose Them", ["Can't Lose", "Them"]),
    ("Returned (nearly) everything", ["Returned", "(nearly)", "everything"]),
])
def test_names_wrap_between_words_only(name, lines):
    assert _wrap_label(name).split("<br>") == lines


def test_chinese_names_may_break_between_characters():
    assert _wrap_label("（几乎）全部退货") == "（几乎）<br>全部退货"
    with locale_context("zh"):
        fig = fig_rf_heatmap(rf_grid(*_toy_scores()))
    assert all(len(line) <= 4 for row in fig.data[0].text for cell in row for line in cell.split("<br>")[:-1])


def _toy_scores():
    prof = pd.DataFrame({"user_id": [f"u{i}" for i in range(50)], "recency_days": [i % 25 for i in range(50)],
                         "frequency": [1 + (i * 7) % 11 for i in range(50)], "monetary": [10.0] * 50})
    return rfm(prof), prof


def test_every_english_cell_line_is_made_of_whole_words():
    scores, prof = _toy_scores()
    fig = fig_rf_heatmap(rf_grid(scores, prof))
    words = {w for name in scores["rfm_segment"].unique() for w in name.split()}
    for row in fig.data[0].text:
        for cell in row:
            *name_lines, count = cell.split("<br>")
            assert re.fullmatch(r"[\d,]+", count)
            assert all(w in words for line in name_lines for w in line.split()), cell


@pytest.mark.realdata
def test_online_retail_heat_map_agrees_with_the_bar_chart(online_retail):
    from promo_core.features import customer_profiles  # what the page scores (net of returns)

    prof = customer_profiles(online_retail)
    scores = rfm(prof)
    grid = rf_grid(scores, prof)
    assert grid["users"].sum() == len(scores.dropna(subset=["r_score"])) == 4_338
    # every cell's label is the group that truly holds most of it, computed here independently
    buyers = scores.dropna(subset=["r_score"])
    for (r, f), cell in buyers.groupby(["r_score", "f_score"]):
        counts = cell["rfm_segment"].value_counts()
        row = grid[(grid["r_score"] == r) & (grid["f_score"] == f)].iloc[0]
        assert row["rfm_segment"] == counts.index[0] and row["segment_users"] == counts.iloc[0]
        assert row["users"] == len(cell)
    r1f1 = grid[(grid["r_score"] == 1) & (grid["f_score"] == 1)].iloc[0]
    assert r1f1["rfm_segment"] == "Lost" and r1f1["segment_users"] == (scores["rfm_segment"] == "Lost").sum()
    assert r1f1["users"] > r1f1["segment_users"]  # a few buyers who returned everything share the cell
    fig = fig_rf_heatmap(grid)
    assert _cell_text(fig, 1, 1) == f"Lost<br>{int(r1f1['users']):,}"
    assert not any(RETURNED_ALL.split()[0] in cell for row in fig.data[0].text for cell in row)


def test_value_groups_page_says_how_the_cells_are_named():
    from .conftest import open_page

    at = open_page("views/value_groups.py")
    said = " ".join(c.value.replace("\\", "") for c in at.caption)
    ds = at.session_state["dataset"]
    from promo_core.features import customer_profiles
    buyers = int((customer_profiles(ds)["frequency"] > 0).sum())
    assert "named after the group holding most of its customers" in said
    assert f"add up to the {buyers:,} scored buyers" in said
