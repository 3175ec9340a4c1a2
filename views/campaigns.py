"""Campaigns: what each saved campaign was forecast to earn, what it measured, and how good the forecasts are."""

import streamlit as st

from promo_core.i18n import _
from promo_core.schema import DataError
from promo_core.workspace.charts import fig_forecast_accuracy
from ui import workspace
from ui.widgets import show_error

st.title(_("Campaigns"))
st.caption(_("Every campaign saved from the planner: what it was forecast to earn, what its readouts measured, "
             "and how accurate the forecasts have been."))
currency = st.session_state.get("currency", "£")
try:
    ws = workspace.workspace(create=False)  # None: the default file does not exist yet (nothing saved)
    df = ws.list_campaigns() if ws else None
except DataError as exc:
    show_error(exc, _("The workspace could not be opened."))
    st.stop()
if ws:
    st.caption(_("Workspace: {url}").format(url=ws.url))
if df is None or df.empty:
    st.info(_("No campaign saved yet. To save the first one, build a plan on the Promotion planner page and use "
              "'Save this campaign' at the bottom of the page (or run promo-core plan … --save-campaign NAME)."),
            icon=":material/campaign:")
    st.stop()

# amounts are shown with the symbol they were saved with (a £ shop stays £ in the Chinese interface); campaigns
# saved before the symbol was stored, or in several currencies at once, use the session's
stored = {c for c in df["currency"].dropna()} if "currency" in df else set()
if len(stored) == 1 and df["currency"].notna().all():
    currency = stored.pop()
elif len(stored) > 1:
    st.warning(_("These campaigns were saved in different currencies ({symbols}); the table and chart show every "
                 "amount with {cur}, and each campaign's detail with its own symbol.").format(
                     symbols=", ".join(sorted(stored)), cur=currency), icon=":material/warning:")
workspace.campaigns_table(df, currency)
acc = ws.forecast_accuracy()
if len(acc):
    st.plotly_chart(fig_forecast_accuracy(acc, currency), key="cp_accuracy")
st.caption(workspace.accuracy_reading(acc))
with st.expander(_("How is this computed?"), icon=":material/help:"):
    st.markdown(_("The forecast profit is the planner's expected incremental profit when the campaign was saved. "
                  "The measured profit is the latest readout's: what the targeted customers earned above the "
                  "holdout group, less discounts and contact costs. Measured ÷ forecast compares the two; it is "
                  "left out when the forecast was not a profit, because a ratio to zero or to a loss does not "
                  "read as accuracy. The chart places each campaign at its end date."))

st.subheader(_("Campaign detail"))
name = st.selectbox(_("Campaign"), df["name"].tolist(), key="cp_pick")
try:
    workspace.campaign_detail(ws, name, currency)
except DataError as exc:
    show_error(exc, _("This campaign could not be shown."))
