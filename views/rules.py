"""Basket rules: what sells together, filtered and tested, turned into bundles and cross-sell offers."""

import streamlit as st

from promo_core import charts
from promo_core.abtest import p_text
from promo_core.i18n import _, default_currency, fmt_int, fmt_num, fmt_pct, locale_context
from promo_core.rules import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    engine,
    extra_baskets_low,
    filter_rules,
    headline_rule,
    rules_contract,
    rules_for_display,
)
from promo_core.schema import DataError
from ui import analysis, state
from ui.tables import show
from ui.widgets import downloads, md, show_error

st.title(_("Basket rules"))
st.caption(_("Rules of the form 'customers who buy X also buy Y', mined from baskets (pyfim's FP-Growth by default; "
             "mlxtend's FP-Growth or Apriori give the same rules). Support: share of baskets with all the items. "
             "Confidence: chance of Y given X. Lift: how many times likelier Y is with X than without (1 = no link)."))
ds, key = state.dataset(), state.dataset_key()
currency = st.session_state.get("currency") or default_currency()
has_times = "timestamp" in ds.has
has_category = "category" in ds.has
settings = st.sidebar.expander(_("Mining settings"), expanded=True, icon=":material/tune:")
with settings:
    by = st.radio(_("A basket is"), ["order", "user-day"], key="r_by", persist_state="session", disabled=not has_times,
                  format_func=lambda x: {"order": _("one order"), "user-day": _("one customer's day")}[x],
                  help=None if has_times else _("This data has no times: a basket is one order (one line of a "
                                                "basket file)"))
    level = st.radio(_("Mine"), ["item", "category"], key="r_level", persist_state="session", horizontal=True,
                     format_func=lambda x: {"item": _("items"), "category": _("categories")}[x],
                     disabled=not has_category, help=None if has_category else _("This data has no categories"))
    by, level = (by if has_times else "order"), (level if has_category else "item")
    exclude = st.toggle(_("Leave out large baskets"), key="r_exclude", persist_state="session",
                        help=_("Off (the default): every basket is mined and counts in the denominator"))
    max_size = (int(st.number_input(_("Leave out baskets with more items than"), 2, 100_000, 100, key="r_maxsize",
                                    persist_state="session")) if exclude else None)
    seg = None
    if has_times and st.toggle(_("Rules for one customer segment"), key="r_per_segment", persist_state="session",
                               help=_("Uses the segmentation chosen on the Segments page")):
        try:
            names = sorted(analysis.segmentation(ds)["segment"].unique())
        except DataError as exc:
            names = []
            st.info(md(_("Segments are not available for this data ({reason}), so the rules cover all "
                         "customers.").format(reason=exc.what)))
        if names:
            seg = st.selectbox(_("Segment"), names, key="r_segment")
if ds.nonproduct:
    st.caption(md(_("{n} non-product codes (postage, fees, adjustments: {codes}) are left out of the baskets; review "
                    "the list on the Data page.").format(n=len(ds.nonproduct), codes=", ".join(ds.nonproduct[:6])
                                                        + (" …" if len(ds.nonproduct) > 6 else ""))))
try:
    b = analysis.baskets(key, ds, by, level, max_size, seg)
except DataError as exc:
    show_error(exc, _("No baskets for these settings; the previous results are not affected."))
    st.stop()
with settings:
    support = st.select_slider(_("Minimum support (% of baskets)"), [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0],
                               value=1.0, key="r_support", persist_state="session", format_func=lambda x: f"{x:g}%")
    lengths = ["no limit", *range(2, max(b.largest, 2) + 1)]
    if st.session_state.get("r_maxlen", "no limit") not in lengths:  # settings kept from another dataset
        st.session_state["r_maxlen"] = "no limit"
    chosen = st.select_slider(_("Longest itemset"), lengths, value="no limit", key="r_maxlen",
                              format_func=lambda x: _("no limit") if x == "no limit" else str(x),
                              help=_("Up to the largest basket ({n} items). 'no limit' (the default) mines itemsets "
                                     "of every length, as mlxtend and pyfim do").format(n=fmt_int(b.largest)))
    max_len = None if chosen == "no limit" else int(chosen)
    algorithm = st.selectbox(_("Algorithm"), list(ALGORITHMS), index=list(ALGORITHMS).index(DEFAULT_ALGORITHM),
                             format_func=lambda x: _(ALGORITHMS[x]), key="r_algo", persist_state="session",
                             help=_("All three give the same itemsets and rules. pyfim's FP-Growth (written in C) is the fastest; "
                                    "mlxtend's Apriori uses the least memory"))
used, fallback = engine(algorithm)
if fallback:
    st.info(md(fallback))
mining = (by, level, max_size, support / 100, max_len, algorithm, seg)
try:
    with st.spinner(_("Mining frequent itemsets…")):
        itemsets = analysis.itemsets(key, ds, *mining)
except DataError as exc:
    show_error(exc, _("Nothing was mined for these settings; the previous results are not affected."))
    st.stop()

c = st.columns(3)
min_conf = c[0].slider(_("Minimum confidence (%)"), 0, 100, 20, key="r_conf", persist_state="session") / 100
min_lift = c[1].slider(_("Minimum lift (×)"), 1.0, 20.0, 1.0, 0.5, key="r_lift", persist_state="session")
test = c[2].selectbox(_("Significance test"), ["fisher", "chi2", "none"], key="r_test", persist_state="session",
                      format_func=lambda x: {"fisher": _("Fisher exact"), "chi2": _("Chi-square"), "none": _("None")}[x],
                      help=_("Tests whether the items co-occur more often than chance would give"))
c = st.columns(3)
multi = c[0].toggle(_("Multi-item offers"), key="r_multi", persist_state="session",
                    help=_("On: the offer (right-hand side) may hold several items. Off: one item, as R's arules does"))
prune = c[1].toggle(_("Hide redundant"), value=True, key="r_prune", persist_state="session",
                    help=_("A rule is redundant when a simpler rule with the same offer is at least as reliable"))
sig = c[2].toggle(_("Only significant rules"), key="r_sig", persist_state="session", disabled=test == "none",
                  help=_("Benjamini-Hochberg adjusted p < 0.05"))
with locale_context("en"):  # cached: notes kept in English (the source language), translated where shown
    result = analysis.rule_set(key, ds, mining, min_conf, min_lift, not multi, test)
st.session_state["rules_args"] = (mining, min_conf, min_lift, not multi, test)
labels = sorted({i for s in result.rules["antecedents"] for i in s} | {i for s in result.rules["consequents"] for i in s})
f1, f2 = st.columns(2)
ant = f1.selectbox(_("Bought item contains"), ["(any)", *labels], key="r_ant",
                   format_func=lambda x: _("(any)") if x == "(any)" else x, help=_("The antecedent: what was bought"))
con = f2.selectbox(_("Offer item contains"), ["(any)", *labels], key="r_con",
                   format_func=lambda x: _("(any)") if x == "(any)" else x, help=_("The consequent: what to offer"))
rules = filter_rules(result.rules, antecedent_has=None if ant == "(any)" else ant,
                     consequent_has=None if con == "(any)" else con, drop_redundant=prune, significant_only=sig)
c = st.columns(4)
extra = (_("; {n} baskets above {size} items were left out at your request").format(
    n=fmt_int(b.n_oversized), size=fmt_int(max_size)) if max_size else "")
c[0].metric(_("Baskets mined"), fmt_int(b.n), help=_("Every basket counts in the denominator, {n} single-item baskets "
                                                     "included").format(n=fmt_int(b.n_single)) + extra)
c[1].metric(_("Frequent itemsets"), fmt_int(len(itemsets)))
c[2].metric(_("Rules shown"), fmt_int(len(rules)), help=_("of {n} before the filters").format(n=fmt_int(len(result.rules))))
c[3].metric(_("Significant"), "–" if test == "none" else fmt_int(int((rules["p_adjusted"] < 0.05).sum())),
            help=_("Benjamini-Hochberg adjusted p < 0.05: unlikely to be a chance co-occurrence"))
longest = int(itemsets["length"].max()) if len(itemsets) else 0
st.caption(md(_("Mined with {engine}: ").format(engine=_(ALGORITHMS[used]))
              + (_("itemsets of up to {k} items (your limit; longest found {longest})").format(k=max_len, longest=longest)
                 if max_len else _("no length limit (longest itemset found: {longest} items)").format(longest=longest))
              + (_("; {n} baskets with more than {size} items left out at your request, so supports are shares of the "
                   "other {rest}.").format(n=fmt_int(b.n_oversized), size=fmt_int(max_size), rest=fmt_int(b.n))
                 if max_size else _("; all {n} baskets counted.").format(n=fmt_int(b.n)))))
from promo_core.mining import method_note  # noqa: E402 - issue 17: the backend named in the method text

st.caption(md(method_note(used)))
for note in result.notes:
    st.warning(md(_(note)))
if rules.empty:
    st.stop()
shown = rules_for_display(rules)
best = headline_rule(rules, b.n)
top = shown.iloc[best]
gain = extra_baskets_low(rules.iloc[[best]], b.n)[0]
st.caption(md(_("Reading: customers who buy {a} are {lift} times likelier than others to buy {b} ({conf} of their "
                "baskets; {n} baskets hold both).").format(
    a=top["antecedents"], lift=fmt_num(top["lift"], 2), b=top["consequents"], conf=fmt_pct(top["confidence"], 0),
    n=fmt_int(top["n_baskets"]))
    + " " + _("Why this rule: of the rules shown it adds the most baskets with the offer beyond chance ({extra}, "
              "counted at the cautious end of its 95% range); the table sorts by lift, where rare rules with a "
              "perfect score come first.").format(extra=fmt_int(max(int(gain), 0)))))
with st.expander(_("How is this computed?"), icon=":material/functions:"):
    st.markdown(_("- **Support**: share of all baskets that hold every item of the rule.\n"
                  "- **Confidence**: of the baskets with the bought items, the share that also hold the offer.\n"
                  "- **Lift**: confidence ÷ the offer's own share of baskets; 1 means no link, 2 means twice as "
                  "likely.\n- **Leverage**: support minus what independence would give (in percentage points).\n"
                  "- **Conviction**: how much more often the rule would be wrong if the items were independent; "
                  "1 = no link, higher = more reliable (– when the rule is never wrong).\n"
                  "- **p-value**: one-sided Fisher exact test (or chi-square) of the 2×2 basket table, adjusted for "
                  "the number of rules with Benjamini-Hochberg.\n\nItemsets are mined with FP-Growth (pyfim) or "
                  "mlxtend's FP-Growth/Apriori; rules keep one offer item unless *Multi-item offers* is on."))
VIEWS = {"Table": _("Table"), "Support vs confidence": _("Support vs confidence"), "Matrix": _("Matrix"),
         "Network": _("Network"), "Bundles & cross-sell": _("Bundles & cross-sell")}
view = st.segmented_control(_("View"), list(VIEWS), default="Table", key="r_view", persist_state="session",
                            format_func=VIEWS.get) or "Table"
if view == "Table":
    show(shown.assign(p_text=shown["p_adjusted"].map(p_text)),
         {"antecedents": (_("Customers who buy"), "text"), "consequents": (_("Also buy (offer)"), "text"),
          "support": (_("Support"), "pct"), "confidence": (_("Confidence"), "pct"), "lift": (_("Lift (×)"), "num"),
          "leverage": (_("Leverage (percentage points)"), "pp"), "conviction": (_("Conviction"), "num"),
          "n_baskets": (_("Baskets"), "int"), "p_text": (_("p-value (adjusted)"), "text")}, key="r_table",
         helps={"support": _("Share of baskets with all the items"), "lift": _("1 = no link; 2 = twice as likely"),
                "conviction": _("1 = no link; higher = more reliable")})
    downloads(rules_contract(rules), "rules", "dl_rules")
elif view == "Support vs confidence":
    st.plotly_chart(charts.fig_rules_scatter(shown), key="r_scatter")
elif view == "Matrix":
    st.plotly_chart(charts.fig_rules_matrix(shown), key="r_matrix")
elif view == "Network":
    st.plotly_chart(charts.fig_rules_network(shown), key="r_net")
else:
    bundles, offers = analysis.promotion_hooks(key, ds, mining, min_conf, min_lift, not multi, test)
    st.subheader(_("Bundle suggestions"))
    st.caption(_("Suggested discount = 5% + 10% × (1 − best confidence): an assumption to start from — items that "
                 "nearly always sell together need little incentive. The planner can change it."))
    if bundles["combined_price"].isna().all() if len(bundles) else False:
        st.caption(_("This data has no prices, so the bundles have no combined or bundle price."))
    show(bundles, {"bundle": (_("Bundle"), "text"), "support": (_("Support"), "pct"), "baskets": (_("Baskets"), "int"),
                   "best_confidence": (_("Best confidence"), "pct"), "lift": (_("Lift (×)"), "num"),
                   "combined_price": (_("Combined price"), "money2"),
                   "suggested_discount_pct": (_("Suggested discount"), "pct_points"),
                   "bundle_price": (_("Bundle price"), "money2")}, currency, key="r_bundles")
    downloads(bundles, "bundles", "dl_bundles")
    st.subheader(_("Cross-sell offers"))
    show(offers, {"if_bought": (_("Customers who bought"), "text"), "offer": (_("Offer them"), "text"),
                  "confidence": (_("Confidence"), "pct"), "lift": (_("Lift (×)"), "num"),
                  "buyers_of_x": (_("Buyers of the first item"), "int"),
                  "targetable_users": (_("Customers to target"), "int")}, key="r_offers",
         helps={"targetable_users": _("Buyers of the first item who never bought the offer")})
    downloads(offers, "cross_sell", "dl_cross")
