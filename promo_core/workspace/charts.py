"""Plotly figures of the workspace (data in, figure out, no streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..i18n import _, fmt_date, fmt_money, fmt_pct


def fig_forecast_accuracy(acc: pd.DataFrame, currency: str = "£") -> go.Figure:
    """Measured ÷ forecast incremental profit per campaign over time (the frame of
    :meth:`Workspace.forecast_accuracy`: name, when, forecast_profit, measured_profit, accuracy).

    A dashed line at 100% marks an exact forecast; points above it earned more than forecast.
    """
    fig = go.Figure()
    pct = 100 * acc["accuracy"].astype(float)
    hover = [_("{name}<br>{when}<br>forecast {forecast}, measured {measured}<br>measured ÷ forecast {ratio}").format(
        name=n, when=fmt_date(w), forecast=fmt_money(f, currency), measured=fmt_money(m, currency), ratio=fmt_pct(r, 0))
        for n, w, f, m, r in zip(acc["name"], acc["when"], acc["forecast_profit"], acc["measured_profit"],
                                 acc["accuracy"], strict=True)]
    fig.add_trace(go.Scatter(x=acc["when"], y=pct, mode="lines+markers+text", text=acc["name"].astype(str),
                             textposition="top center", hovertext=hover, hoverinfo="text",
                             name=_("Measured ÷ forecast profit")))
    fig.add_hline(y=100, line_dash="dash", line_color="grey", annotation_text=_("forecast exact (100%)"),
                  annotation_position="bottom right")
    fig.update_layout(title=_("How accurate the profit forecasts have been"),
                      xaxis_title=_("Campaign end date"), yaxis_title=_("Measured ÷ forecast profit (%)"),
                      showlegend=False, margin={"t": 60, "b": 40})
    fig.update_yaxes(rangemode="tozero", ticksuffix="%")
    # Campaigns end on days: ticks are days, and the axis reaches a week (or a quarter of the history) beyond
    # the first and last campaign, so their names are not cut at the edges; one day's history would
    # otherwise get plotly's sub-second ticks.
    when = pd.to_datetime(acc["when"], errors="coerce").dropna()
    if len(when):
        lo, hi = when.min(), when.max()
        pad = max(pd.Timedelta(days=7), (hi - lo) / 4)
        fig.update_xaxes(range=[lo - pad, hi + pad])
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d")
    return fig
