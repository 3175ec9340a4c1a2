"""A short guided tour for stakeholders: what each page answers, in order, with a link to each.

Shown from the Data page (the first page). Figures quoted come from the data in use, never typed in.
"""

from __future__ import annotations

import streamlit as st

from promo_core.i18n import N_, _, fmt_compact, fmt_date, fmt_int
from promo_core.kpis import Kpis
from promo_core.quality import Dataset

from .registry import PAGES

#: url path → the question the page answers and what to look at (English msgids), in the tour's order
STEPS: dict[str, tuple[str, str]] = {
    "data": (N_("What data are we looking at?"),
             N_("The dataset in use, its headline figures and a quality report of everything cleaning changed.")),
    "segments": (N_("Who are our customers?"),
                 N_("Customers grouped by how they behave, each group named by what sets it apart. Rename the "
                    "groups and choose which grouping the planner uses.")),
    "value_groups": (N_("Which customers matter most, and who is slipping away?"),
                     N_("RFM value groups (Champions, At Risk…), lifecycle stages with a back-test, and a model "
                        "of who is likely to buy next.")),
    "rules": (N_("What do customers buy together?"),
              N_("Basket rules (bought X, also bought Y) with their strength, and bundle and cross-sell ideas.")),
    "recommendations": (N_("What should we show each customer?"),
                        N_("Items to recommend per customer or segment, checked on purchases the model did not "
                           "see.")),
    "planner": (N_("Which offer should each segment get, and what will it earn?"),
                N_("An offer per segment with sliders and a budget; a forecast of extra profit with a range, and "
                   "downloads of the plan and the target list.")),
    "uplift": (N_("Whom does a promotion actually change?"),
               N_("Customers ranked by how much the offer changes their chance to buy, not just by how likely "
                  "they are to buy anyway.")),
    "abtest": (N_("Did the campaign work?"),
               N_("An experiment's results in plain words: the difference, its confidence interval, "
                  "significance and return on investment.")),
}


def tour(ds: Dataset, kpis: Kpis, currency: str) -> None:
    """The tour as an expander: one numbered step per page, each with a link to it."""
    with st.expander(_("Guided tour: what each page answers"), icon=":material/tour:",
                     key="tour"):
        badge = ds.badge()
        if badge.get("baskets") is not None:  # a basket file: one basket per line, a row per item
            facts = _("{baskets} baskets holding {items} items").format(baskets=fmt_int(badge["baskets"]),
                                                                        items=fmt_int(badge["rows"]))
        else:
            facts = _("{rows} rows about {users} customers").format(rows=fmt_int(badge["rows"]),
                                                                    users=fmt_int(badge["users"]))
        if badge["from"]:
            facts += _(", from {start} to {end}").format(start=fmt_date(badge["from"]), end=fmt_date(badge["to"]))
        if kpis.revenue is not None:
            facts += _("; revenue {revenue} from {orders} orders").format(
                revenue=fmt_compact(kpis.revenue, currency), orders=fmt_int(kpis.orders))
        st.markdown(_("A walk through PromoScope on the data in use ({facts}). Each step names the question a "
                      "page answers; open the pages in this order.").format(facts=facts))
        specs = {spec.url_path: spec for spec in PAGES}
        for i, (url, (question, what)) in enumerate((u, s) for u, s in STEPS.items() if u in specs):
            spec = specs[url]
            st.markdown(f"**{i + 1}. {_(spec.title)}** — {_(question)}")
            st.caption(_(what))
            st.page_link(spec.path, label=_("Open {page}").format(page=_(spec.title)), icon=spec.icon)
