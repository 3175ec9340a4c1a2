"""The column-mapping editor and the mapping preview of the Data page.

The editor starts from :func:`promo_core.inference.infer_mapping` (headers and values) and shows the
reason for every choice. Choices of medium or low confidence are listed above the button and must be
confirmed (or changed) before the data can be accepted: nothing uncertain is applied silently.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from promo_core.i18n import N_, _, fmt_money, fmt_pct
from promo_core.inference import Choice, Inference, infer_mapping
from promo_core.io import RawTable
from promo_core.kpis import summarise
from promo_core.quality import Dataset, discount_breakdown
from promo_core.schema import COLUMNS, MULTI_COLUMNS, DataError, line_amount, sources, tr
from ui.state import CACHE_TTL
from ui.tables import events_spec, show
from ui.widgets import md, show_error

NONE = "(none)"
PREVIEW_ROWS = 5
#: the canonical columns in words (the machine name follows in brackets, for those who know the CLI)
LABELS = {"user_id": N_("Customer id"), "timestamp": N_("Time"), "event": N_("Event type"), "item_id": N_("Item id"),
          "item_name": N_("Item name"), "category": N_("Category"), "price": N_("Unit price"),
          "line_total": N_("Line total"), "quantity": N_("Quantity"), "order_id": N_("Order id"),
          "discount": N_("Discount")}
CONFIDENCE = {"high": N_("high"), "medium": N_("medium"), "low": N_("low"), "chosen by hand": N_("chosen by hand")}


def label(name: str) -> str:
    return _("{label} ({name})").format(label=_(LABELS[name]), name=name) if name in LABELS else name


def confidence(c: str) -> str:
    return _(CONFIDENCE[c]) if c in CONFIDENCE else c


@st.cache_data(show_spinner=False, max_entries=8, ttl=CACHE_TTL)
def inferred(key: str, _raw: RawTable) -> Inference:
    """The inference for an upload (keyed by its content, format and sheet)."""
    return infer_mapping(_raw.frame)


def mapping_editor(raw: RawTable, inference: Inference, key: str) -> tuple[dict, list[Choice]]:
    """Selectboxes (a multiselect for discounts) pre-filled from the inference.

    Returns the mapping chosen and the uncertain inferred choices the user left as proposed.
    """
    proposed = inference.mapping()
    by_column = {c.column: c for c in inference.choices}
    st.markdown(_("**Column mapping** — inferred from the headers and the values; change any that are wrong."))
    options = [NONE, *map(str, raw.frame.columns)]
    mapping: dict[str, str | tuple[str, ...]] = {}
    grid = st.columns(5)
    single = [c for c in COLUMNS if c.name not in MULTI_COLUMNS]
    for i, col in enumerate(single):
        default = proposed.get(col.name, NONE)
        why = by_column.get(col.name)
        choice = grid[i % 5].selectbox(
            label(col.name) + (" *" if col.required else ""), options, index=options.index(default),
            key=f"map_{col.name}_{key}", format_func=lambda o: _("(none)") if o == NONE else o,
            help=_(col.meaning) + (_(". Proposed because {reason} ({confidence} confidence)").format(
                reason=tr(why.reason), confidence=confidence(why.confidence)) if why else ""))
        if choice != NONE:
            mapping[col.name] = choice
    for name in MULTI_COLUMNS:
        col = next(c for c in COLUMNS if c.name == name)
        chosen = st.multiselect(_("{column} (several columns are summed)").format(column=label(name)), options[1:],
                                default=list(sources(proposed.get(name))), key=f"map_{name}_{key}",
                                help=_(col.meaning))
        if chosen:
            mapping[name] = tuple(chosen)
    if inference.choices:
        with st.expander(_("Why these columns"), icon=":material/help:"):
            why = pd.DataFrame([{"column": label(c.column), "source": c.source, "confidence": confidence(c.confidence),
                                 "reason": tr(c.reason), "alternatives": ", ".join(c.alternatives)}
                                for c in inference.choices])
            show(why, {"column": (_("PromoScope column"), "text"), "source": (_("Column in your file"), "text"),
                       "confidence": (_("Confidence"), "text"), "reason": (_("Reason"), "text"),
                       "alternatives": (_("Other candidates"), "text")})
    unconfirmed = [c for c in inference.review() if c.source in sources(mapping.get(c.column))]
    return mapping, unconfirmed


ZONE = "shop_time_zone"


def zone_picker(where: str) -> str | None:
    """The shop's time zone (:mod:`promo_core.clock`) for the data read ``where`` (the upload or a server source);
    the last choice is the next one's start. None for UTC (no change)."""
    from promo_core.clock import UTC, zone_choices
    choices = zone_choices()
    last = st.session_state.get(ZONE, UTC)
    zone = st.selectbox(_("Shop's time zone"), choices, index=choices.index(last) if last in choices else 0,
                        key=f"{ZONE}_{where}",
                        help=_("Unix timestamps and times with a UTC offset are instants: they are shown as clock "
                               "times of this zone, so hours of the day and day boundaries are the shop's (Beijing "
                               "time: Asia/Shanghai). Times written without an offset are kept as written. UTC "
                               "changes nothing."))
    st.session_state[ZONE] = zone
    return None if zone == UTC else zone


def review_prompt(unconfirmed: list[Choice], key: str) -> bool:
    """List the uncertain choices; True once the user has confirmed them (or there are none)."""
    if not unconfirmed:
        return True
    lines = [f"- **{md(label(c.column))}** ← {md(repr(c.source))} "
             + _("({confidence} confidence)").format(confidence=confidence(c.confidence)) + f": {md(tr(c.reason))}"
             + (_(". Other candidates: {names}").format(names=md(", ".join(map(repr, c.alternatives))))
                if c.alternatives else "")
             for c in unconfirmed]
    st.warning(_("These column choices were inferred with less than high confidence. Check them (change the "
                 "mapping above if one is wrong) before using the data:") + "\n\n" + "\n".join(lines),
               icon=":material/help:")
    return st.checkbox(_("I have checked these column choices"), key=f"confirm_{key}")


def accept_candidate(cand: Dataset, cand_key: str, name: str, key: str, unconfirmed: list[Choice], currency: str,
                     *, in_use: str, button_key: str) -> bool:
    """What the mapping implies, the quality report, the uncertain choices and **Use this data** (for an upload
    and for a server source alike); True when the user has just made ``cand`` the dataset in use."""
    from ui import state
    from ui.widgets import quality_report
    mapping_preview(cand, currency)
    st.subheader(_("Quality report for {name}").format(name=md(name)))
    quality_report(cand.report)
    confirmed = review_prompt(unconfirmed, key)
    if state.dataset_key().removesuffix(":p") == cand_key:
        st.success(in_use, icon=":material/check_circle:")
        return False
    if st.button(_("Use this data"), type="primary", icon=":material/check:", key=button_key, disabled=not confirmed,
                 help=None if confirmed else _("Confirm the column choices listed above first")):
        try:
            state.set_dataset(cand, cand_key)
        except DataError as exc:  # pseudonymising an engine source above the rows-in-memory cap
            show_error(exc, _("This data was not put in use (user ids are pseudonymised, which needs every row in "
                              "memory); the dataset in use is unchanged."))
            return False
        return True
    return False


def mapping_preview(cand: Dataset, currency: str) -> None:
    """Five rows in canonical form and the revenue and average order the mapping implies."""
    ev = cand.head(PREVIEW_ROWS) if cand.in_engine else cand.events
    k = cand.overview()[0] if cand.in_engine else summarise(ev)
    mapping = cand.report.mapping
    from ui.widgets import metric
    st.markdown("**" + _("What this mapping implies") + "**")
    c = st.columns(3)
    # to the penny: the point is to compare it with a figure the user knows
    c[0].metric(_("Implied revenue"), "–" if k.revenue is None else fmt_money(k.revenue, currency, decimals=2),
                help=_("Sum of the line amounts over purchases after cleaning"))
    c[1].metric(_("Implied average order"), "–" if k.average_order_value is None
                else fmt_money(k.average_order_value, currency, decimals=2), help=_("Implied revenue ÷ orders"))
    metric(c[2], _("Purchase lines"), int(cand.report.event_mix.get("purchase", 0)))
    if "line_total" in mapping:
        basis = _("Revenue is the sum of the line totals in {column}").format(column=repr(mapping["line_total"]))
    elif "price" in mapping:
        basis = (_("Revenue is {price} × {quantity}").format(
            price=repr(mapping["price"]),
            quantity=repr(mapping["quantity"]) if "quantity" in mapping else _("1 (no quantity column)")))
    else:
        basis = _("No price or line total is mapped, so there is no revenue")
    st.caption(md(basis + _(". If these figures look wrong for your business, the mapping is probably wrong.")))
    canon = [c.name for c in COLUMNS if c.name in ev.columns]
    rows = ev.loc[:PREVIEW_ROWS - 1, canon].copy()
    if "price" in ev and ev["price"].notna().any():
        rows["line amount"] = line_amount(ev.head(PREVIEW_ROWS))
    show(rows, events_spec(rows.columns), currency)
    br = discount_breakdown(ev) if not cand.in_engine else ()
    if len(br) > 1:
        st.caption(md(_("Discounts by source: {list}").format(list=", ".join(
            f"{r.source} {fmt_money(r.amount, currency, decimals=2)} ({fmt_pct(r.share, 0)})"
            for r in br.itertuples()))))
    for chk in cand.report.checks:
        if chk.severity == "warning":
            st.warning(f"**{md(tr(chk.check).capitalize())}**: {md(tr(chk.finding))}. **" + _("What to do:")
                       + f"** {md(tr(chk.suggestion))}.", icon=":material/warning:")
