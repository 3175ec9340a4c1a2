"""Plotly figure builders: data in, figure out, plain-language titles and units, no streamlit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .i18n import N_, _, current_locale, fmt_pct

PALETTE = ("#3b6ea8", "#e07b39", "#5a9e6f", "#b55d8c", "#8c7a4f", "#4fa3a5", "#c9a227", "#7a6fb5")
EVENT_LABELS = {"view": N_("Product views"), "search": N_("Searches"), "click": N_("Clicks"),
                "cart": N_("Add to cart"), "fav": N_("Favourites"), "purchase": N_("Purchase lines")}


def _layout(fig: go.Figure, title: str, height: int = 380, legend: str = "top") -> go.Figure:
    """Shared look. ``legend``: 'top' (one row above the plot) or 'right' (a column, for many series)."""
    place = (dict(orientation="h", yanchor="bottom", y=1.02, x=0) if legend == "top"
             else dict(orientation="v", yanchor="top", y=1, x=1.02))
    fig.update_layout(title=dict(text=title, y=0.98, yanchor="top"), height=height,
                      margin=dict(l=10, r=10, t=80 if legend == "top" else 50, b=10),
                      template="plotly_white", colorway=list(PALETTE), legend=place, hovermode="x unified")
    return fig


def _dates_in_language(fig: go.Figure) -> go.Figure:
    """Date ticks and hover dates in the screen's language: plotly.js writes English month names (Nov 26) unless
    told otherwise, so a Chinese screen gets 2017年11月26日."""
    if current_locale() == "zh_CN":
        fig.update_xaxes(tickformat="%Y年%-m月%-d日", hoverformat="%Y年%-m月%-d日")
    return fig


def fig_daily_activity(daily: pd.DataFrame, currency: str = "£") -> go.Figure:
    """Revenue per day (bars) and events per day by type (lines) on a second axis."""
    has_rev = "revenue" in daily and daily["revenue"].notna().any() and daily["revenue"].sum() > 0
    fig = make_subplots(specs=[[{"secondary_y": has_rev}]])
    if has_rev:
        fig.add_bar(x=daily["date"], y=daily["revenue"], name=_("Revenue ({currency})").format(currency=currency),
                    marker_color="#c9d6e8", secondary_y=False,
                    hovertemplate=f"{currency}%{{y:,.0f}}<extra>{_('Revenue')}</extra>")
    for i, col in enumerate(c for c in daily.columns if c not in ("date", "revenue")):
        fig.add_scatter(x=daily["date"], y=daily[col], mode="lines", name=_(EVENT_LABELS.get(col, col)),
                        line=dict(color=PALETTE[i % len(PALETTE)], width=1.6), secondary_y=has_rev)
    fig.update_xaxes(title_text=_("Day"))
    if has_rev:
        fig.update_yaxes(title_text=_("Revenue per day ({currency})").format(currency=currency), secondary_y=False)
        fig.update_yaxes(title_text=_("Events per day (count)"), secondary_y=True, showgrid=False,
                         rangemode="tozero")
        fig.update_yaxes(rangemode="tozero", secondary_y=False)
    else:
        fig.update_yaxes(title_text=_("Events per day (count)"))
    return _layout(_dates_in_language(fig), _("Daily activity"))


def fig_funnel(funnel: pd.DataFrame) -> go.Figure:
    """Users reaching view, cart and purchase, with the share of the first stage."""
    labels = {"view": _("Viewed a product"), "cart": _("Added to cart"), "purchase": _("Bought")}
    fig = go.Figure(go.Funnel(y=[labels.get(s, s) for s in funnel["stage"]], x=funnel["users"],
                              textinfo="value+percent initial", marker_color=list(PALETTE[:len(funnel)]),
                              textfont=dict(size=14),
                              hovertemplate=_("%{x:,} users") + "<extra></extra>"))
    fig.update_xaxes(title_text=_("Users (count)"))
    fig.update_yaxes(automargin=True)
    return _layout(fig, _("From browsing to buying (users reaching each step)"), height=320)


def fig_event_mix(event_mix: dict) -> go.Figure:
    """Rows per event type as horizontal bars."""
    items = sorted(event_mix.items(), key=lambda kv: kv[1])
    fig = go.Figure(go.Bar(x=[v for _k, v in items], y=[_(EVENT_LABELS.get(k, k)) for k, _v in items],
                           orientation="h", marker_color=PALETTE[0],
                           hovertemplate=_("%{x:,} rows") + "<extra></extra>"))
    fig.update_xaxes(title_text=_("Rows (count)"))
    fig.update_yaxes(automargin=True)
    return _layout(fig, _("What the rows record"), height=260)


def fig_k_scan(scan: pd.DataFrame, chosen: int | None = None) -> go.Figure:
    """Silhouette, Calinski-Harabasz and inertia (elbow) against the number of segments."""
    # short panel titles (long ones overlap at 1280 px); the measures are explained on the page
    fig = make_subplots(rows=1, cols=3, subplot_titles=(_("Separation (higher is better)"),
                                                        _("Compactness (higher is better)"),
                                                        _("Spread left (look for the bend)")))
    for i, col in enumerate(("silhouette", "calinski_harabasz", "inertia"), start=1):
        fig.add_scatter(x=scan["k"], y=scan[col], mode="lines+markers", row=1, col=i, showlegend=False,
                        line=dict(color=PALETTE[0]))
        if chosen is not None:
            fig.add_vline(x=chosen, line_dash="dot", line_color=PALETTE[1], row=1, col=i)
        fig.update_xaxes(title_text=_("Number of segments"), row=1, col=i, dtick=1)
    return _layout(fig, _("How many segments? (dotted line: the number chosen)"), height=340, legend="right")


def fig_snake(centers: pd.DataFrame, names: dict[int, str]) -> go.Figure:
    """Snake plot: each segment's average of every feature, in standard deviations from all users."""
    fig = go.Figure()
    labels = [_(PLAIN_FEATURES[c]) if c in PLAIN_FEATURES else c for c in centers.columns]
    for i, (seg, row) in enumerate(centers.iterrows()):
        fig.add_scatter(x=labels, y=row.to_numpy(), mode="lines+markers", name=names[int(seg)],
                        line=dict(color=PALETTE[i % len(PALETTE)], width=2))
    fig.add_hline(y=0, line_color="#999", line_dash="dot")
    fig.update_yaxes(title_text=_("Above (+) or below (−) the average customer"))
    fig.update_xaxes(automargin=True)
    fig.update_layout(hovermode="closest")
    return _layout(fig, _("What sets each segment apart"), height=460, legend="top")


def fig_pca(pca: pd.DataFrame, names: dict[int, str], explained: tuple[float, float],
            max_points: int = 5000) -> go.Figure:
    """2-D map of users (principal components of the standardised features), coloured by segment."""
    pts = pca if len(pca) <= max_points else pca.sample(max_points, random_state=0)
    fig = go.Figure()
    for i, seg in enumerate(sorted(pts["segment"].unique())):
        d = pts[pts["segment"] == seg]
        fig.add_scattergl(x=d["pc1"], y=d["pc2"], mode="markers", name=names[int(seg)],
                          marker=dict(size=5, opacity=0.6, color=PALETTE[i % len(PALETTE)]),
                          hovertext=d["user_id"], hovertemplate="%{hovertext}<extra></extra>")
    fig.update_xaxes(title_text=_("Main direction of difference ({pct:.0f}% of it)").format(pct=100 * explained[0]))
    fig.update_yaxes(title_text=_("Second direction ({pct:.0f}%)").format(pct=100 * explained[1]))
    fig.update_layout(hovermode="closest")
    fig = _layout(fig, _("Customer map: nearby dots behave alike"), height=520, legend="top")
    # below the map: five long segment names above it would cover the title
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.18, x=0), margin=dict(t=50, b=10))
    return fig


def fig_size_vs_revenue(profile: pd.DataFrame) -> go.Figure:
    """Share of users vs share of revenue per segment."""
    fig = go.Figure()
    fig.add_bar(y=profile["segment_name"], x=profile["share_of_users_pct"], orientation="h", name=_("Share of users"),
                marker_color=PALETTE[0], hovertemplate=_("%{x:.1f}% of users") + "<extra></extra>")
    fig.add_bar(y=profile["segment_name"], x=profile["share_of_revenue_pct"], orientation="h",
                name=_("Share of revenue"), marker_color=PALETTE[1],
                hovertemplate=_("%{x:.1f}% of revenue") + "<extra></extra>")
    fig.update_xaxes(title_text=_("Share (%)"))
    fig.update_yaxes(automargin=True)
    fig.update_layout(barmode="group", hovermode="closest")
    fig = _layout(fig, _("Segment size against the revenue it brings"), height=max(320, 70 * len(profile) + 100))
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.12, x=0), margin=dict(t=50, b=10))
    return fig


def _wrap_label(label: str, width: int = 11) -> str:
    """A cell label on short lines: on word boundaries for words (never mid-word: a single long
    word stays whole), every 4 characters for Chinese (which has no spaces and may break anywhere)."""
    import textwrap

    if any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in label):
        return "<br>".join(label[i:i + 4] for i in range(0, len(label), 4))
    return "<br>".join(textwrap.wrap(label, width, break_long_words=False, break_on_hyphens=False))


def fig_rf_heatmap(grid: pd.DataFrame) -> go.Figure:
    """Users per recency x frequency score. Each cell is named after the RFM group holding most of
    its users and shows all the users in the cell (so the cells add up to every scored buyer); the
    hover lists every group in the cell when it holds more than one."""
    z = grid.pivot(index="f_score", columns="r_score", values="users")
    seg = grid.pivot(index="f_score", columns="r_score", values="rfm_segment").fillna("")
    mix = grid.set_index(["f_score", "r_score"])["mix"] if "mix" in grid else None

    def cell(name: str) -> str:  # long group names on two lines, so neighbouring cells do not overlap
        return _wrap_label(_(name)) if name else ""

    def hover(f, r) -> str:
        parts = mix.get((f, r), ()) if mix is not None else ()
        if len(parts) < 2:
            return ""
        return "<br>" + "<br>".join(_("{group}: {users}").format(group=_(name), users=f"{int(n):,}")
                                    for name, n in parts)

    text = [[f"{cell(seg.iloc[i, j])}<br>{int(z.iloc[i, j]):,}" for j in range(z.shape[1])]
            for i in range(z.shape[0])]
    custom = [[hover(z.index[i], z.columns[j]) for j in range(z.shape[1])] for i in range(z.shape[0])]
    fig = go.Figure(go.Heatmap(z=z.to_numpy(), x=[str(c) for c in z.columns], y=[str(r) for r in z.index],
                               text=text, texttemplate="%{text}", textfont=dict(size=12), colorscale="Blues",
                               customdata=custom, colorbar=dict(title=_("Users")),
                               hovertemplate=_("R %{x}, F %{y}: %{z:,} users") + "%{customdata}<extra></extra>"))
    fig.update_xaxes(title_text=_("Recency score (5 = bought most recently)"), tickfont=dict(size=14))
    fig.update_yaxes(title_text=_("Frequency score (5 = most orders)"), tickfont=dict(size=14))
    return _layout(fig, _("Customers by recency and frequency"), height=520)


def fig_counts(counts: pd.DataFrame, label: str, value: str = "users", title: str = "") -> go.Figure:
    """Horizontal bars of users per group (largest on top)."""
    d = counts.sort_values(value)
    fig = go.Figure(go.Bar(x=d[value], y=d[label], orientation="h", marker_color=PALETTE[0],
                           hovertemplate=_("%{x:,} users") + "<extra></extra>"))
    fig.update_xaxes(title_text=_("Users (count)"))
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, height=max(280, 34 * len(d) + 120))


def fig_roc(roc: pd.DataFrame, auc: float) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=roc["fpr"], y=roc["tpr"], mode="lines", name=_("Model (AUC {auc:.2f})").format(auc=auc),
                    line=dict(color=PALETTE[0], width=2))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name=_("Random guess"), line=dict(color="#999", dash="dot"))
    fig.update_xaxes(title_text=_("Non-buyers wrongly flagged (%)"), tickformat=".0%")
    fig.update_yaxes(title_text=_("Buyers found (%)"), tickformat=".0%")
    return _layout(fig, _("How well the score separates buyers (ROC curve)"), height=380)


def fig_calibration(cal: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=cal["mean_predicted"], y=cal["observed_rate"], mode="lines+markers", name=_("Model"),
                    line=dict(color=PALETTE[0]))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name=_("Perfectly calibrated"),
                    line=dict(color="#999", dash="dot"))
    fig.update_xaxes(title_text=_("Predicted chance to buy"), tickformat=".0%")
    fig.update_yaxes(title_text=_("Share who actually bought"), tickformat=".0%")
    return _layout(fig, _("Do predicted chances come true? (calibration)"), height=380)


def fig_importance(imp: pd.DataFrame, top: int = 12) -> go.Figure:
    d = imp.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=d["importance"], y=[_(PLAIN_FEATURES[f]) if f in PLAIN_FEATURES else f
                                                 for f in d["feature"]], orientation="h",
                           error_x=dict(type="data", array=d["std"]), marker_color=PALETTE[0]))
    fig.update_xaxes(title_text=_("Drop in AUC when the feature is shuffled"))
    fig.update_yaxes(automargin=True)
    return _layout(fig, _("What the prediction relies on"), height=max(300, 30 * len(d) + 120))


PLAIN_FEATURES = {"recency_days": N_("Days since last purchase"), "frequency": N_("Orders"), "monetary": N_("Revenue"),
                  "tenure_days": N_("Days since first seen"), "days_since_last_event": N_("Days since last visit"),
                  "avg_order_value": N_("Average order value"), "purchase_interval_days": N_("Days between orders"),
                  "views": N_("Product views"), "carts": N_("Add-to-carts"), "purchase_lines": N_("Items bought"),
                  "view_to_cart": N_("View → cart rate"), "cart_to_purchase": N_("Cart → purchase rate"),
                  "discount_share": N_("Share bought on discount")}


def fig_rules_scatter(rules: pd.DataFrame) -> go.Figure:
    """Support vs confidence of each rule, coloured by lift."""
    text = rules["antecedents"].astype(str) + " → " + rules["consequents"].astype(str)
    fig = go.Figure(go.Scattergl(
        x=100 * rules["support"], y=100 * rules["confidence"], mode="markers", text=text,
        marker=dict(size=8, color=rules["lift"], colorscale="Viridis", showscale=True,
                    colorbar=dict(title=_("Lift (×)"))),
        hovertemplate="%{text}<br>" + _("in {support} of baskets").format(support="%{x:.2f}%") + "<br>"
                      + _("confidence {confidence}").format(confidence="%{y:.1f}%") + "<extra></extra>"))
    fig.update_xaxes(title_text=_("Support: share of baskets with all the items (%)"))
    fig.update_yaxes(title_text=_("Confidence: chance of the offer item, given the rest (%)"))
    fig.update_layout(hovermode="closest")
    return _layout(fig, _("Rules: how common and how reliable (colour: lift)"), height=420)


def fig_rules_matrix(rules: pd.DataFrame, top: int = 25) -> go.Figure:
    """Antecedent x consequent grid of lift for the strongest rules."""
    d = rules.head(top)
    z = d.pivot_table(index="antecedents", columns="consequents", values="lift", aggfunc="max")
    fig = go.Figure(go.Heatmap(z=z.to_numpy(), x=list(z.columns), y=list(z.index), colorscale="Blues",
                               colorbar=dict(title=_("Lift (×)")),
                               hovertemplate=_("If {a}<br>then {b}<br>lift {lift}").format(
                                   a="%{y}", b="%{x}", lift="%{z:.1f}×") + "<extra></extra>"))
    fig.update_xaxes(title_text=_("…then they also buy"), tickangle=-35, tickfont=dict(size=13), automargin=True)
    fig.update_yaxes(title_text=_("Customers who buy…"), tickfont=dict(size=13), automargin=True)
    return _layout(fig, _("Top {n} rules by lift").format(n=len(d)), height=max(420, 30 * len(z) + 240))


def fig_rules_network(rules: pd.DataFrame, top: int = 30) -> go.Figure:
    """Items as points on a circle, an arrow-line per rule (width: lift), for the strongest rules."""
    import math
    d = rules.head(top)
    nodes = sorted(set(d["antecedents"]).union(d["consequents"]))
    pos = {n: (math.cos(2 * math.pi * i / len(nodes)), math.sin(2 * math.pi * i / len(nodes)))
           for i, n in enumerate(nodes)}
    fig = go.Figure()
    max_lift = float(d["lift"].max()) if len(d) else 1.0
    for r in d.itertuples(index=False):
        (x0, y0), (x1, y1) = pos[r.antecedents], pos[r.consequents]
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=2, arrowsize=1, arrowwidth=1 + 3 * r.lift / max_lift, arrowcolor="#7a9cc6",
                           opacity=0.7)
    fig.add_scatter(x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text", text=nodes,
                    textposition="top center", marker=dict(size=12, color=PALETTE[1]), hoverinfo="text",
                    showlegend=False)
    fig.update_xaxes(visible=False, range=[-1.5, 1.5])
    fig.update_yaxes(visible=False, range=[-1.3, 1.3], scaleanchor="x")
    return _layout(fig, _("What leads to what (arrow: customers who buy one also buy the other)"), height=560)


def fig_hit_rate(model: float, model_ci: tuple[float, float], baseline: float, base_ci: tuple[float, float],
                 n: int) -> go.Figure:
    labels = [_("Recommendations (co-purchase)"), _("Most popular items")]
    vals = [100 * model, 100 * baseline]
    err_hi = [100 * (model_ci[1] - model), 100 * (base_ci[1] - baseline)]
    err_lo = [100 * (model - model_ci[0]), 100 * (baseline - base_ci[0])]
    fig = go.Figure(go.Bar(x=labels, y=vals, marker_color=[PALETTE[0], "#aab4c3"],
                           error_y=dict(type="data", array=err_hi, arrayminus=err_lo),
                           hovertemplate="%{y:.1f}%<extra></extra>"))
    fig.update_yaxes(title_text=_("Next new item found in the top {n} (%)").format(n=n))
    return _layout(fig, _("Hold-out check: would we have recommended what they bought next?"), height=360)


def fig_rates(summary: pd.DataFrame, intervals: dict[str, tuple[float, float]], level: float = 0.95) -> go.Figure:
    """Conversion rate per variant with its interval (Wilson)."""
    lo = [100 * (r - intervals[v][0]) for v, r in zip(summary["variant"], summary["conversion_rate"], strict=True)]
    hi = [100 * (intervals[v][1] - r) for v, r in zip(summary["variant"], summary["conversion_rate"], strict=True)]
    fig = go.Figure(go.Bar(x=summary["variant"], y=100 * summary["conversion_rate"], marker_color=PALETTE[0],
                           error_y=dict(type="data", array=hi, arrayminus=lo),
                           hovertemplate="%{x}: %{y:.2f}%<extra></extra>"))
    fig.update_yaxes(title_text=_("Conversion rate (%)"))
    fig.update_xaxes(title_text=_("Variant"))
    return _layout(fig, _("Conversion by variant (bars: {level} interval)").format(level=fmt_pct(level, 0)),
                   height=360)


def fig_lift_forest(rows: pd.DataFrame, label: str = "treatment", value: str = "rel_lift", low: str = "low",
                    high: str = "high", title: str | None = None, pct: bool = True,
                    axis: str | None = None) -> go.Figure:
    """A forest plot: one line per row with its interval, and the no-effect line. ``title`` and
    ``axis`` (already translated) default to the relative lift over the control."""
    k = 100 if pct else 1
    fig = go.Figure(go.Scatter(
        x=k * rows[value], y=rows[label].astype(str), mode="markers",
        marker=dict(size=10, color=PALETTE[0]),
        error_x=dict(type="data", array=k * (rows[high] - rows[value]), arrayminus=k * (rows[value] - rows[low])),
        hovertemplate="%{y}: %{x:.1f}" + ("%" if pct else "") + "<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot", line_color="#999")
    fig.update_xaxes(title_text=axis or (_("Change against the control (%)") if pct
                                         else _("Change against the control")))
    fig.update_layout(hovermode="closest")
    return _layout(fig, title or _("Relative lift over the control"), height=max(260, 40 * len(rows) + 140))


def fig_profit_waterfall(roi, currency: str = "£") -> go.Figure:
    """Incremental revenue to incremental profit for one treatment."""
    margin_part = roi.incremental_profit + roi.promotion_cost
    fig = go.Figure(go.Waterfall(
        x=[_("Margin on extra sales"), _("Discounts and contact costs"), _("Incremental profit")],
        y=[margin_part, -roi.promotion_cost, 0], measure=["relative", "relative", "total"],
        connector=dict(line=dict(color="#999")),
        increasing=dict(marker_color=PALETTE[2]), decreasing=dict(marker_color=PALETTE[1]),
        totals=dict(marker_color=PALETTE[0]), hovertemplate=currency + "%{y:,.0f}<extra></extra>"))
    fig.update_yaxes(title_text=_("Amount ({currency})").format(currency=currency))
    return _layout(fig, _("{treatment}: from margin to profit").format(treatment=roi.treatment), height=340)


def fig_plan_waterfall(total: pd.Series, currency: str = "£") -> go.Figure:
    """From extra sales to incremental profit for the whole plan (forfeited pre-sale deposits, revenue without
    goods, are a bar of their own when there are any). Labels in the current language."""
    from .i18n import _
    forfeits = float(total.get("forfeited_deposits", 0.0) or 0.0)
    gross = total["incremental_revenue"] + total["value_given"] - forfeits
    margin_part = total["incremental_profit"] + total["value_given"] + total["contact_cost"] - forfeits
    x = [_("Extra sales (gross)"), _("Cost of goods"), _("Value given (discounts, gifts, points)"),
         _("Contact costs"), _("Incremental profit")]
    y = [gross, margin_part - gross, -total["value_given"], -total["contact_cost"], 0]
    if forfeits:
        x.insert(2, _("Forfeited deposits kept"))
        y.insert(2, forfeits)
    fig = go.Figure(go.Waterfall(
        x=x, y=y, measure=["relative"] * (len(x) - 1) + ["total"], connector=dict(line=dict(color="#999")),
        increasing=dict(marker_color=PALETTE[2]), decreasing=dict(marker_color=PALETTE[1]),
        totals=dict(marker_color=PALETTE[0]), hovertemplate=f"{currency}%{{y:,.0f}}<extra></extra>"))
    fig.update_yaxes(title_text=_("Amount over the campaign ({currency})").format(currency=currency))
    return _layout(fig, _("From extra sales to profit (whole plan)"), height=380)


def fig_plan_comparison(rows: pd.DataFrame, currency: str = "£") -> go.Figure:
    """Expected incremental profit of several plans, with their ranges. Columns: plan, profit, low, high."""
    from .i18n import _
    fig = go.Figure(go.Bar(x=rows["plan"], y=rows["profit"], marker_color=[PALETTE[0]] + ["#aab4c3"] * (len(rows) - 1),
                           error_y=dict(type="data", array=rows["high"] - rows["profit"],
                                        arrayminus=rows["profit"] - rows["low"]),
                           hovertemplate=f"%{{x}}: {currency}%{{y:,.0f}}<extra></extra>"))
    fig.add_hline(y=0, line_color="#999")
    fig.update_yaxes(title_text=_("Expected incremental profit ({currency})").format(currency=currency))
    return _layout(fig, _("This plan against the alternatives (bars: range)"), height=360)


def fig_qini(curves: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=100 * curves["share_targeted"], y=curves["model"], name=_("Uplift model"),
                    line=dict(color=PALETTE[0], width=2))
    if "propensity" in curves:
        fig.add_scatter(x=100 * curves["share_targeted"], y=curves["propensity"], name=_("Propensity score"),
                        line=dict(color=PALETTE[1]))
    fig.add_scatter(x=100 * curves["share_targeted"], y=curves["random"], name=_("Random"),
                    line=dict(color="#999", dash="dot"))
    fig.update_xaxes(title_text=_("Customers targeted, best first (%)"))
    fig.update_yaxes(title_text=_("Extra conversions (hold-out customers)"))
    return _layout(fig, _("Qini curve: extra conversions by how many are targeted"), height=380)


def fig_profit_curve(curve: pd.DataFrame, currency: str = "£") -> go.Figure:
    best = curve.loc[curve["incremental_profit"].idxmax()]
    fig = go.Figure(go.Scatter(x=100 * curve["share_targeted"], y=curve["incremental_profit"], mode="lines",
                               line=dict(color=PALETTE[2], width=2),
                               hovertemplate=_("{share} targeted: {profit}").format(
                                   share="%{x:.0f}%", profit=currency + "%{y:,.0f}") + "<extra></extra>"))
    fig.add_vline(x=100 * best["share_targeted"], line_dash="dot", line_color=PALETTE[1])
    fig.add_hline(y=0, line_color="#999")
    fig.update_xaxes(title_text=_("Customers targeted, best first (%)"))
    fig.update_yaxes(title_text=_("Incremental profit ({currency})").format(currency=currency))
    return _layout(fig, _("Profit by how many to target (best: top {share})").format(
        share=fmt_pct(best["share_targeted"], 0)), height=380)


def fig_effect_over_time(over_time: pd.DataFrame, treatment: str, relative: bool = True) -> go.Figure:
    """Cumulative effect by day: the estimate with its always-valid (sequential) band and the
    fixed-horizon interval, which is valid only once, at the planned size."""
    k = 100 if relative else 1
    d = over_time
    fig = go.Figure([
        go.Scatter(x=d["day"], y=k * d["high"], mode="lines", line=dict(width=0), showlegend=False,
                   hoverinfo="skip"),
        go.Scatter(x=d["day"], y=k * d["low"], mode="lines", line=dict(width=0), fill="tonexty",
                   fillcolor="rgba(59,110,168,0.2)", name=_("Always-valid interval (sequential)"),
                   hovertemplate="%{y:.1f}<extra>" + _("sequential low") + "</extra>"),
        go.Scatter(x=d["day"], y=k * d["fixed_low"], mode="lines", line=dict(dash="dot", color=PALETTE[1]),
                   name=_("Fixed-horizon interval (valid once)")),
        go.Scatter(x=d["day"], y=k * d["fixed_high"], mode="lines", line=dict(dash="dot", color=PALETTE[1]),
                   showlegend=False),
        go.Scatter(x=d["day"], y=k * d["estimate"], mode="lines+markers", line=dict(color=PALETTE[0]),
                   name=_("Cumulative estimate"), customdata=d["users"],
                   hovertemplate=_("{value} with {users} users").format(value="%{y:.1f}" + ("%" if relative else ""),
                                                                         users="%{customdata:,}")
                   + "<extra></extra>")])
    fig.add_hline(y=0, line_dash="dot", line_color="#999")
    fig.update_yaxes(title_text=_("Lift over the control (%)") if relative else _("Difference from the control"))
    fig.update_xaxes(title_text=_("Day (everything seen up to the end of the day)"))
    return _layout(_dates_in_language(fig), _("{treatment}: effect over time").format(treatment=treatment))


def fig_lifecycle_backtest(bt: pd.DataFrame) -> go.Figure:
    """Share of each lifecycle stage (as labelled at the back-test date) that bought again after it."""
    fig = go.Figure(go.Bar(x=[_(s) for s in bt["stage"]], y=bt["bought_again_pct"], marker_color=PALETTE[0],
                           customdata=np.column_stack([bt["users"], bt["bought_again"]]),
                           hovertemplate=_("%{x}: %{y:.0f}% bought again (%{customdata[1]:,} of %{customdata[0]:,} "
                                           "customers)") + "<extra></extra>"))
    fig.update_xaxes(title_text=_("Stage the rules gave at the back-test date"))
    fig.update_yaxes(title_text=_("Bought again afterwards (% of the stage)"), range=[0, 100])
    return _layout(fig, _("Back-test: did each stage buy again?"), height=360)


def fig_baseline_windows(windows: pd.DataFrame, currency: str = "£") -> go.Figure:
    """Purchase rate per earlier window (seasonality), one line per segment. ``windows``: segment,
    window_start (datetime), conversion (share 0-1), kind."""
    from .i18n import _
    fig = go.Figure()
    bought = _("{pct}% bought").format(pct="%{y:.1f}")
    for i, (seg, g) in enumerate(windows.groupby("segment", sort=False)):
        g = g.sort_values("window_start")
        fig.add_scatter(x=g["window_start"], y=100 * g["conversion"], mode="lines+markers", name=str(seg),
                        line=dict(color=PALETTE[i % len(PALETTE)]),
                        hovertemplate="%{x|%Y-%m-%d}: " + bought + "<extra>" + str(seg).replace("<", "&lt;")
                        + "</extra>")
    fig.update_xaxes(title_text=_("Start of the window"))
    fig.update_yaxes(title_text=_("Customers who bought in the window (%)"))
    return _layout(fig, _("Baseline purchase rate in earlier windows of the campaign's length"), height=380)


# ---- campaigns (issue 16): what a holdout can measure, and the readout beside the forecast

def fig_holdout_mde(summary: pd.DataFrame) -> go.Figure:
    """Per segment: the forecast conversion lift beside the smallest lift the holdout can detect
    (percentage points). ``summary``: :func:`promo_core.campaigns.holdout_summary` without 'Total'."""
    from .i18n import _
    s = summary[summary["segment"] != "Total"]
    mde = s["min_detectable_lift"].astype(float).where(np.isfinite(s["min_detectable_lift"].astype(float)))
    fig = go.Figure()
    fig.add_bar(x=s["segment"], y=100 * s["forecast_lift"], name=_("Forecast lift (pp)"), marker_color=PALETTE[0],
                hovertemplate="%{y:.2f} pp<extra></extra>")
    fig.add_bar(x=s["segment"], y=100 * mde, name=_("Smallest detectable lift (pp)"), marker_color=PALETTE[1],
                hovertemplate="%{y:.2f} pp<extra></extra>")
    fig.update_xaxes(title_text=_("Segment"))
    fig.update_yaxes(title_text=_("Conversion lift (percentage points)"))
    fig.update_layout(barmode="group")
    return _layout(fig, _("Can the holdout measure the forecast lift?"))


def fig_readout(frame: pd.DataFrame) -> go.Figure:
    """Measured conversion lift per segment with its interval (adjusted across segments) beside the
    forecast lift, in percentage points. ``frame``: :meth:`CampaignReadout.frame` rows."""
    from .i18n import _
    f = frame[frame["measured"].astype(bool)]
    fig = go.Figure()
    fig.add_scatter(x=f["segment"], y=100 * f["abs_diff"], mode="markers", name=_("Measured lift (pp)"),
                    marker=dict(color=PALETTE[0], size=10),
                    error_y=dict(type="data", symmetric=False, array=100 * (f["adj_ci_high"] - f["abs_diff"]),
                                 arrayminus=100 * (f["abs_diff"] - f["adj_ci_low"])),
                    hovertemplate="%{y:.2f} pp<extra></extra>")
    fig.add_scatter(x=f["segment"], y=100 * f["forecast_lift"], mode="markers", name=_("Forecast lift (pp)"),
                    marker=dict(color=PALETTE[1], size=10, symbol="diamond"),
                    hovertemplate="%{y:.2f} pp<extra></extra>")
    fig.add_hline(y=0, line=dict(color="#888", width=1, dash="dot"))
    fig.update_xaxes(title_text=_("Segment"))
    fig.update_yaxes(title_text=_("Conversion, treated − held out (percentage points)"))
    return _layout(fig, _("Measured against forecast, per segment"))


# ---- customer lifetime value (issue 16)

def fig_clv_distribution(customers: pd.DataFrame, currency: str = "£", horizon_months: int = 12) -> go.Figure:
    """Histogram of customers by lifetime value (``customers["clv"]``), the top 1% folded into the last bar
    so one whale does not flatten the chart; a dotted line at the mean."""
    from .i18n import _, fmt_money
    v = customers["clv"].astype(float)
    cap = float(v.quantile(0.99)) if len(v) else 0.0
    fig = go.Figure(go.Histogram(x=v.clip(upper=cap), nbinsx=40, marker_color=PALETTE[0],
                                 hovertemplate=_("{currency}%{{x:,.0f}}: %{{y:,}} customers").format(currency=currency)
                                 + "<extra></extra>"))
    if len(v):
        fig.add_vline(x=float(v.mean()), line_dash="dot", line_color=PALETTE[1],
                      annotation_text=_("mean {value}").format(value=fmt_money(float(v.mean()), currency)))
    fig.update_xaxes(title_text=_("Lifetime value over the next {months} months ({currency}; top 1% in the last bar)")
                     .format(months=horizon_months, currency=currency))
    fig.update_yaxes(title_text=_("Customers (count)"))
    return _layout(fig, _("How lifetime value is spread over customers"))


def fig_clv_deciles(deciles: pd.DataFrame, currency: str = "£") -> go.Figure:
    """Predicted and actual hold-out revenue per decile of predicted revenue (1 = highest)."""
    from .i18n import _
    fig = go.Figure()
    fig.add_bar(x=deciles["decile"], y=deciles["predicted_revenue"], name=_("Predicted"), marker_color=PALETTE[0])
    fig.add_bar(x=deciles["decile"], y=deciles["actual_revenue"], name=_("Actual"), marker_color=PALETTE[1])
    fig.update_xaxes(title_text=_("Decile of customers by predicted revenue (1 = highest)"), dtick=1)
    fig.update_yaxes(title_text=_("Hold-out revenue ({currency})").format(currency=currency))
    return _layout(fig, _("Predicted and actual revenue in the hold-out period"))
