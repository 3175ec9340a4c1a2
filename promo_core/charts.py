"""Plotly figure builders: data in, figure out, plain-language titles and units, no streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PALETTE = ("#3b6ea8", "#e07b39", "#5a9e6f", "#b55d8c", "#8c7a4f", "#4fa3a5", "#c9a227", "#7a6fb5")
EVENT_LABELS = {"view": "Product views", "search": "Searches", "click": "Clicks", "cart": "Add to cart",
                "fav": "Favourites", "purchase": "Purchase lines"}


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=60, b=10),
                      template="plotly_white", colorway=list(PALETTE),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0), hovermode="x unified")
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
