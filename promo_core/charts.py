"""Plotly figure builders: data in, figure out, plain-language titles and units, no streamlit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PALETTE = ("#3b6ea8", "#e07b39", "#5a9e6f", "#b55d8c", "#8c7a4f", "#4fa3a5", "#c9a227", "#7a6fb5")
EVENT_LABELS = {"view": "Product views", "search": "Searches", "click": "Clicks", "cart": "Add to cart",
                "fav": "Favourites", "purchase": "Purchase lines"}


def _layout(fig: go.Figure, title: str, height: int = 380, legend: str = "top") -> go.Figure:
    """Shared look. ``legend``: 'top' (one row above the plot) or 'right' (a column, for many series)."""
    place = (dict(orientation="h", yanchor="bottom", y=1.02, x=0) if legend == "top"
             else dict(orientation="v", yanchor="top", y=1, x=1.02))
    fig.update_layout(title=dict(text=title, y=0.98, yanchor="top"), height=height,
                      margin=dict(l=10, r=10, t=80 if legend == "top" else 50, b=10),
                      template="plotly_white", colorway=list(PALETTE), legend=place, hovermode="x unified")
    return fig


def fig_daily_activity(daily: pd.DataFrame, currency: str = "£") -> go.Figure:
    """Revenue per day (bars) and events per day by type (lines) on a second axis."""
    has_rev = "revenue" in daily and daily["revenue"].notna().any() and daily["revenue"].sum() > 0
    fig = make_subplots(specs=[[{"secondary_y": has_rev}]])
    if has_rev:
        fig.add_bar(x=daily["date"], y=daily["revenue"], name=f"Revenue ({currency})",
                    marker_color="#c9d6e8", secondary_y=False,
                    hovertemplate=f"{currency}%{{y:,.0f}}<extra>Revenue</extra>")
    for i, col in enumerate(c for c in daily.columns if c not in ("date", "revenue")):
        fig.add_scatter(x=daily["date"], y=daily[col], mode="lines", name=EVENT_LABELS.get(col, col),
                        line=dict(color=PALETTE[i % len(PALETTE)], width=1.6), secondary_y=has_rev)
    fig.update_xaxes(title_text="Day")
    if has_rev:
        fig.update_yaxes(title_text=f"Revenue per day ({currency})", secondary_y=False)
        fig.update_yaxes(title_text="Events per day (count)", secondary_y=True, showgrid=False,
                         rangemode="tozero")
        fig.update_yaxes(rangemode="tozero", secondary_y=False)
    else:
        fig.update_yaxes(title_text="Events per day (count)")
    return _layout(fig, "Daily activity")


def fig_funnel(funnel: pd.DataFrame) -> go.Figure:
    """Users reaching view, cart and purchase, with the share of the first stage."""
    labels = {"view": "Viewed a product", "cart": "Added to cart", "purchase": "Bought"}
    fig = go.Figure(go.Funnel(y=[labels.get(s, s) for s in funnel["stage"]], x=funnel["users"],
                              textinfo="value+percent initial", marker_color=list(PALETTE[:len(funnel)]),
                              hovertemplate="%{x:,} users<extra></extra>"))
    fig.update_xaxes(title_text="Users (count)")
    return _layout(fig, "From browsing to buying (users reaching each step)", height=320)


def fig_event_mix(event_mix: dict) -> go.Figure:
    """Rows per event type as horizontal bars."""
    items = sorted(event_mix.items(), key=lambda kv: kv[1])
    fig = go.Figure(go.Bar(x=[v for _, v in items], y=[EVENT_LABELS.get(k, k) for k, _ in items],
                           orientation="h", marker_color=PALETTE[0], hovertemplate="%{x:,} rows<extra></extra>"))
    fig.update_xaxes(title_text="Rows (count)")
    return _layout(fig, "What the rows record", height=260)


def fig_k_scan(scan: pd.DataFrame, chosen: int | None = None) -> go.Figure:
    """Silhouette, Calinski-Harabasz and inertia (elbow) against the number of segments."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=("Silhouette (higher is better)",
                                                        "Calinski-Harabasz (higher is better)",
                                                        "Inertia: look for the elbow"))
    for i, col in enumerate(("silhouette", "calinski_harabasz", "inertia"), start=1):
        fig.add_scatter(x=scan["k"], y=scan[col], mode="lines+markers", row=1, col=i, showlegend=False,
                        line=dict(color=PALETTE[0]))
        if chosen is not None:
            fig.add_vline(x=chosen, line_dash="dot", line_color=PALETTE[1], row=1, col=i)
        fig.update_xaxes(title_text="Number of segments", row=1, col=i, dtick=1)
    return _layout(fig, "How many segments? (dotted line: the number chosen)", height=320, legend="right")


def fig_snake(centers: pd.DataFrame, names: dict[int, str]) -> go.Figure:
    """Snake plot: each segment's average of every feature, in standard deviations from all users."""
    fig = go.Figure()
    labels = [PLAIN_FEATURES.get(c, c) for c in centers.columns]
    for i, (seg, row) in enumerate(centers.iterrows()):
        fig.add_scatter(x=labels, y=row.to_numpy(), mode="lines+markers", name=names[int(seg)],
                        line=dict(color=PALETTE[i % len(PALETTE)], width=2))
    fig.add_hline(y=0, line_color="#999", line_dash="dot")
    fig.update_yaxes(title_text="Versus the average user (std. deviations)")
    fig.update_layout(hovermode="closest")
    return _layout(fig, "What sets each segment apart", height=440, legend="right")


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
    fig.update_xaxes(title_text=f"Map axis 1 ({100 * explained[0]:.0f}% of the differences)")
    fig.update_yaxes(title_text=f"Map axis 2 ({100 * explained[1]:.0f}% of the differences)")
    fig.update_layout(hovermode="closest")
    return _layout(fig, "Customer map: nearby dots behave alike", height=440, legend="right")


def fig_size_vs_revenue(profile: pd.DataFrame) -> go.Figure:
    """Share of users vs share of revenue per segment."""
    fig = go.Figure()
    fig.add_bar(y=profile["segment_name"], x=profile["share_of_users_pct"], orientation="h", name="Share of users",
                marker_color=PALETTE[0], hovertemplate="%{x:.1f}% of users<extra></extra>")
    fig.add_bar(y=profile["segment_name"], x=profile["share_of_revenue_pct"], orientation="h",
                name="Share of revenue", marker_color=PALETTE[1], hovertemplate="%{x:.1f}% of revenue<extra></extra>")
    fig.update_xaxes(title_text="Share (%)")
    fig.update_layout(barmode="group", hovermode="closest")
    return _layout(fig, "Segment size against the revenue it brings", height=max(300, 70 * len(profile)))


def fig_rf_heatmap(grid: pd.DataFrame) -> go.Figure:
    """Users per recency x frequency score, labelled with the RFM segment of each cell."""
    z = grid.pivot(index="f_score", columns="r_score", values="users")
    seg = grid.pivot(index="f_score", columns="r_score", values="rfm_segment").fillna("")
    text = [[f"{seg.iloc[i, j]}<br>{int(z.iloc[i, j]):,}" for j in range(z.shape[1])] for i in range(z.shape[0])]
    fig = go.Figure(go.Heatmap(z=z.to_numpy(), x=[str(c) for c in z.columns], y=[str(r) for r in z.index],
                               text=text, texttemplate="%{text}", colorscale="Blues",
                               colorbar=dict(title="Users"), hovertemplate="R %{x}, F %{y}: %{z:,} users<extra></extra>"))
    fig.update_xaxes(title_text="Recency score (5 = bought most recently)")
    fig.update_yaxes(title_text="Frequency score (5 = most orders)")
    return _layout(fig, "Customers by recency and frequency", height=480)


def fig_counts(counts: pd.DataFrame, label: str, value: str = "users", title: str = "") -> go.Figure:
    """Horizontal bars of users per group (largest on top)."""
    d = counts.sort_values(value)
    fig = go.Figure(go.Bar(x=d[value], y=d[label], orientation="h", marker_color=PALETTE[0],
                           hovertemplate="%{x:,} users<extra></extra>"))
    fig.update_xaxes(title_text="Users (count)")
    return _layout(fig, title, height=max(280, 34 * len(d) + 120))


def fig_roc(roc: pd.DataFrame, auc: float) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=roc["fpr"], y=roc["tpr"], mode="lines", name=f"Model (AUC {auc:.2f})",
                    line=dict(color=PALETTE[0], width=2))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="Random guess", line=dict(color="#999", dash="dot"))
    fig.update_xaxes(title_text="Non-buyers wrongly flagged (%)", tickformat=".0%")
    fig.update_yaxes(title_text="Buyers found (%)", tickformat=".0%")
    return _layout(fig, "How well the score separates buyers (ROC curve)", height=380)


def fig_calibration(cal: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=cal["mean_predicted"], y=cal["observed_rate"], mode="lines+markers", name="Model",
                    line=dict(color=PALETTE[0]))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="Perfectly calibrated", line=dict(color="#999", dash="dot"))
    fig.update_xaxes(title_text="Predicted chance to buy", tickformat=".0%")
    fig.update_yaxes(title_text="Share who actually bought", tickformat=".0%")
    return _layout(fig, "Do predicted chances come true? (calibration)", height=380)


def fig_importance(imp: pd.DataFrame, top: int = 12) -> go.Figure:
    d = imp.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=d["importance"], y=[PLAIN_FEATURES.get(f, f) for f in d["feature"]], orientation="h",
                           error_x=dict(type="data", array=d["std"]), marker_color=PALETTE[0]))
    fig.update_xaxes(title_text="Drop in AUC when the feature is shuffled")
    return _layout(fig, "What the prediction relies on", height=max(300, 30 * len(d) + 120))


PLAIN_FEATURES = {"recency_days": "Days since last purchase", "frequency": "Orders", "monetary": "Revenue",
                  "tenure_days": "Days since first seen", "days_since_last_event": "Days since last visit",
                  "avg_order_value": "Average order value", "purchase_interval_days": "Days between orders",
                  "views": "Product views", "carts": "Add-to-carts", "purchase_lines": "Items bought",
                  "view_to_cart": "View → cart rate", "cart_to_purchase": "Cart → purchase rate",
                  "discount_share": "Share bought on discount"}


def fig_rules_scatter(rules: pd.DataFrame) -> go.Figure:
    """Support vs confidence of each rule, coloured by lift."""
    text = rules["antecedents"].astype(str) + " → " + rules["consequents"].astype(str)
    fig = go.Figure(go.Scattergl(
        x=100 * rules["support"], y=100 * rules["confidence"], mode="markers", text=text,
        marker=dict(size=8, color=rules["lift"], colorscale="Viridis", showscale=True,
                    colorbar=dict(title="Lift (×)")),
        hovertemplate="%{text}<br>in %{x:.2f}% of baskets<br>confidence %{y:.1f}%<extra></extra>"))
    fig.update_xaxes(title_text="Support: share of baskets with all the items (%)")
    fig.update_yaxes(title_text="Confidence: chance of the offer item, given the rest (%)")
    fig.update_layout(hovermode="closest")
    return _layout(fig, "Rules: how common and how reliable (colour: lift)", height=420)


def fig_rules_matrix(rules: pd.DataFrame, top: int = 25) -> go.Figure:
    """Antecedent x consequent grid of lift for the strongest rules."""
    d = rules.head(top)
    z = d.pivot_table(index="antecedents", columns="consequents", values="lift", aggfunc="max")
    fig = go.Figure(go.Heatmap(z=z.to_numpy(), x=list(z.columns), y=list(z.index), colorscale="Blues",
                               colorbar=dict(title="Lift (×)"),
                               hovertemplate="If %{y}<br>then %{x}<br>lift %{z:.1f}×<extra></extra>"))
    fig.update_xaxes(title_text="…then they also buy", tickangle=-35)
    fig.update_yaxes(title_text="Customers who buy…")
    return _layout(fig, f"Top {len(d)} rules by lift", height=max(380, 26 * len(z) + 200))


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
    return _layout(fig, "What leads to what (arrow: customers who buy one also buy the other)", height=560)


def fig_hit_rate(model: float, model_ci: tuple[float, float], baseline: float, base_ci: tuple[float, float],
                 n: int) -> go.Figure:
    labels = ["Recommendations (co-purchase)", "Most popular items"]
    vals = [100 * model, 100 * baseline]
    err_hi = [100 * (model_ci[1] - model), 100 * (base_ci[1] - baseline)]
    err_lo = [100 * (model - model_ci[0]), 100 * (baseline - base_ci[0])]
    fig = go.Figure(go.Bar(x=labels, y=vals, marker_color=[PALETTE[0], "#aab4c3"],
                           error_y=dict(type="data", array=err_hi, arrayminus=err_lo),
                           hovertemplate="%{y:.1f}%<extra></extra>"))
    fig.update_yaxes(title_text=f"Last purchase found in the top {n} (%)")
    return _layout(fig, "Hold-out check: would we have recommended what they bought next?", height=360)


def fig_rates(summary: pd.DataFrame, intervals: dict[str, tuple[float, float]]) -> go.Figure:
    """Conversion rate per variant with its interval (Wilson)."""
    lo = [100 * (r - intervals[v][0]) for v, r in zip(summary["variant"], summary["conversion_rate"], strict=True)]
    hi = [100 * (intervals[v][1] - r) for v, r in zip(summary["variant"], summary["conversion_rate"], strict=True)]
    fig = go.Figure(go.Bar(x=summary["variant"], y=100 * summary["conversion_rate"], marker_color=PALETTE[0],
                           error_y=dict(type="data", array=hi, arrayminus=lo),
                           hovertemplate="%{x}: %{y:.2f}%<extra></extra>"))
    fig.update_yaxes(title_text="Conversion rate (%)")
    fig.update_xaxes(title_text="Variant")
    return _layout(fig, "Conversion by variant (bars: 95% interval)", height=360)


def fig_lift_forest(rows: pd.DataFrame, label: str = "treatment", value: str = "rel_lift", low: str = "low",
                    high: str = "high", title: str = "Relative lift over the control", pct: bool = True) -> go.Figure:
    """A forest plot: one line per row with its interval, and the no-effect line."""
    k = 100 if pct else 1
    fig = go.Figure(go.Scatter(
        x=k * rows[value], y=rows[label].astype(str), mode="markers",
        marker=dict(size=10, color=PALETTE[0]),
        error_x=dict(type="data", array=k * (rows[high] - rows[value]), arrayminus=k * (rows[value] - rows[low])),
        hovertemplate="%{y}: %{x:.1f}" + ("%" if pct else "") + "<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot", line_color="#999")
    fig.update_xaxes(title_text="Change against the control" + (" (%)" if pct else ""))
    fig.update_layout(hovermode="closest")
    return _layout(fig, title, height=max(260, 40 * len(rows) + 140))


def fig_profit_waterfall(roi, currency: str = "£") -> go.Figure:
    """Incremental revenue to incremental profit for one treatment."""
    margin_part = roi.incremental_profit + roi.promotion_cost
    fig = go.Figure(go.Waterfall(
        x=["Margin on extra sales", "Discounts and contact costs", "Incremental profit"],
        y=[margin_part, -roi.promotion_cost, 0], measure=["relative", "relative", "total"],
        connector=dict(line=dict(color="#999")),
        increasing=dict(marker_color=PALETTE[2]), decreasing=dict(marker_color=PALETTE[1]),
        totals=dict(marker_color=PALETTE[0])))
    fig.update_yaxes(title_text=f"Amount ({currency})")
    return _layout(fig, f"{roi.treatment}: from margin to profit", height=340)


def fig_plan_waterfall(total: pd.Series, currency: str = "£") -> go.Figure:
    """From extra sales to incremental profit for the whole plan."""
    gross = total["incremental_revenue"] + total["value_given"]
    margin_part = total["incremental_profit"] + total["value_given"] + total["contact_cost"]
    fig = go.Figure(go.Waterfall(
        x=["Extra sales (gross)", "Cost of goods", "Value given (discounts)", "Contact costs", "Incremental profit"],
        y=[gross, margin_part - gross, -total["value_given"], -total["contact_cost"], 0],
        measure=["relative", "relative", "relative", "relative", "total"], connector=dict(line=dict(color="#999")),
        increasing=dict(marker_color=PALETTE[2]), decreasing=dict(marker_color=PALETTE[1]),
        totals=dict(marker_color=PALETTE[0]), hovertemplate=f"{currency}%{{y:,.0f}}<extra></extra>"))
    fig.update_yaxes(title_text=f"Amount over the campaign ({currency})")
    return _layout(fig, "From extra sales to profit (whole plan)", height=380)


def fig_plan_comparison(rows: pd.DataFrame, currency: str = "£") -> go.Figure:
    """Expected incremental profit of several plans, with their ranges. Columns: plan, profit, low, high."""
    fig = go.Figure(go.Bar(x=rows["plan"], y=rows["profit"], marker_color=[PALETTE[0]] + ["#aab4c3"] * (len(rows) - 1),
                           error_y=dict(type="data", array=rows["high"] - rows["profit"],
                                        arrayminus=rows["profit"] - rows["low"]),
                           hovertemplate=f"%{{x}}: {currency}%{{y:,.0f}}<extra></extra>"))
    fig.add_hline(y=0, line_color="#999")
    fig.update_yaxes(title_text=f"Expected incremental profit ({currency})")
    return _layout(fig, "This plan against the alternatives (bars: range)", height=360)


def fig_qini(curves: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=100 * curves["share_targeted"], y=curves["model"], name="Uplift model", line=dict(color=PALETTE[0], width=2))
    if "propensity" in curves:
        fig.add_scatter(x=100 * curves["share_targeted"], y=curves["propensity"], name="Propensity score",
                        line=dict(color=PALETTE[1]))
    fig.add_scatter(x=100 * curves["share_targeted"], y=curves["random"], name="Random", line=dict(color="#999", dash="dot"))
    fig.update_xaxes(title_text="Customers targeted, best first (%)")
    fig.update_yaxes(title_text="Extra conversions (hold-out customers)")
    return _layout(fig, "Qini curve: extra conversions by how many are targeted", height=380)


def fig_profit_curve(curve: pd.DataFrame, currency: str = "£") -> go.Figure:
    best = curve.loc[curve["incremental_profit"].idxmax()]
    fig = go.Figure(go.Scatter(x=100 * curve["share_targeted"], y=curve["incremental_profit"], mode="lines",
                               line=dict(color=PALETTE[2], width=2),
                               hovertemplate=f"%{{x:.0f}}% targeted: {currency}%{{y:,.0f}}<extra></extra>"))
    fig.add_vline(x=100 * best["share_targeted"], line_dash="dot", line_color=PALETTE[1])
    fig.add_hline(y=0, line_color="#999")
    fig.update_xaxes(title_text="Customers targeted, best first (%)")
    fig.update_yaxes(title_text=f"Incremental profit ({currency})")
    return _layout(fig, f"Profit by how many to target (best: top {100 * best['share_targeted']:.0f}%)", height=380)


def fig_effect_over_time(over_time: pd.DataFrame, treatment: str, relative: bool = True) -> go.Figure:
    """Cumulative effect by day: the estimate with its always-valid (sequential) band and the
    fixed-horizon interval, which is valid only once, at the planned size."""
    k = 100 if relative else 1
    unit = " (%)" if relative else ""
    d = over_time
    fig = go.Figure([
        go.Scatter(x=d["day"], y=k * d["high"], mode="lines", line=dict(width=0), showlegend=False,
                   hoverinfo="skip"),
        go.Scatter(x=d["day"], y=k * d["low"], mode="lines", line=dict(width=0), fill="tonexty",
                   fillcolor="rgba(59,110,168,0.2)", name="Always-valid interval (sequential)",
                   hovertemplate="%{y:.1f}<extra>sequential low</extra>"),
        go.Scatter(x=d["day"], y=k * d["fixed_low"], mode="lines", line=dict(dash="dot", color=PALETTE[1]),
                   name="Fixed-horizon interval (valid once)"),
        go.Scatter(x=d["day"], y=k * d["fixed_high"], mode="lines", line=dict(dash="dot", color=PALETTE[1]),
                   showlegend=False),
        go.Scatter(x=d["day"], y=k * d["estimate"], mode="lines+markers", line=dict(color=PALETTE[0]),
                   name="Cumulative estimate", customdata=d["users"],
                   hovertemplate="%{y:.1f}" + unit + " with %{customdata:,} users<extra></extra>")])
    fig.add_hline(y=0, line_dash="dot", line_color="#999")
    fig.update_yaxes(title_text=("Lift over the control" if relative else "Difference from the control") + unit)
    fig.update_xaxes(title_text="Day (everything seen up to the end of the day)")
    return _layout(fig, f"{treatment}: effect over time")


def fig_lifecycle_backtest(bt: pd.DataFrame) -> go.Figure:
    """Share of each lifecycle stage (as labelled at the back-test date) that bought again after it."""
    fig = go.Figure(go.Bar(x=bt["stage"], y=bt["bought_again_pct"], marker_color=PALETTE[0],
                           customdata=np.column_stack([bt["users"], bt["bought_again"]]),
                           hovertemplate="%{x}: %{y:.0f}% bought again (%{customdata[1]:,} of %{customdata[0]:,} "
                                         "customers)<extra></extra>"))
    fig.update_xaxes(title_text="Stage the rules gave at the back-test date")
    fig.update_yaxes(title_text="Bought again afterwards (% of the stage)", range=[0, 100])
    return _layout(fig, "Back-test: did each stage buy again?", height=360)


def fig_baseline_windows(windows: pd.DataFrame, currency: str = "£") -> go.Figure:
    """Purchase rate per earlier window (seasonality), one line per segment. ``windows``: segment,
    window_start (datetime), conversion (share 0-1), kind."""
    fig = go.Figure()
    for i, (seg, g) in enumerate(windows.groupby("segment", sort=False)):
        g = g.sort_values("window_start")
        fig.add_scatter(x=g["window_start"], y=100 * g["conversion"], mode="lines+markers", name=str(seg),
                        line=dict(color=PALETTE[i % len(PALETTE)]),
                        hovertemplate="%{x|%d %b %Y}: %{y:.1f}% bought<extra>" + str(seg) + "</extra>")
    fig.update_xaxes(title_text="Start of the window")
    fig.update_yaxes(title_text="Customers who bought in the window (%)")
    return _layout(fig, "Baseline purchase rate in earlier windows of the campaign's length", height=380)
