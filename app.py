"""PromoScope: the router and frame. Pages live in views/ (never pages/: see ui.gate); the logic lives in promo_core."""

import os

# Before pandas loads pyarrow: Arrow allocates with malloc, whose freed memory the janitor can hand
# back to the system after sessions end (see ui.state.use_system_allocator).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

import streamlit as st  # noqa: E402

from promo_core.i18n import _, fmt_date, fmt_int  # noqa: E402
from promo_core.schema import DataError  # noqa: E402
from ui import clv as clv_ui  # noqa: E402
from ui import gate, language, state  # noqa: E402
from ui.registry import PAGES  # noqa: E402
from ui.widgets import md, show_error  # noqa: E402

st.set_page_config(page_title="PromoScope", page_icon=":material/percent:", layout="wide")
state.start_janitor()
language.apply()  # every run, before any title or page is built (the sign-in screen too)
if gate.locked():
    language.picker()
    # Only the sign-in screen is registered, under every page's URL (so a typed /segments asks for
    # the password and, once signed in, opens Segments); any other URL falls back to it too.
    st.navigation([st.Page(gate.sign_in, title=_("Sign in"), icon=":material/lock:", url_path="sign-in", default=True),
                   *[st.Page(gate.sign_in, title=_("Sign in"), url_path=spec.url_path) for spec in PAGES]],
                  position="hidden").run()
    st.stop()

sections: dict[str, list] = {}
for spec in PAGES:
    # titles and sections are translated here, so pages registered later follow the language too
    sections.setdefault(_(spec.section), []).append(
        st.Page(spec.path, title=_(spec.title), icon=spec.icon, url_path=spec.url_path,
                default=spec is PAGES[0]))
page = st.navigation(sections)
clv_ui.start_warm_up()  # compile the CLV models in the background, never on a user's first click

ds = state.dataset()
language.picker()
with st.sidebar:
    st.subheader(_("Dataset in use"))
    st.text(ds.name)
    badge = ds.badge()
    if badge.get("baskets") is not None:  # a basket file: its rows are the items of the baskets (lines)
        st.markdown(_("**{baskets}** baskets · **{items}** items").format(baskets=fmt_int(badge["baskets"]),
                                                                          items=fmt_int(badge["rows"])))
    else:
        st.markdown(_("**{rows}** rows · **{users}** users").format(rows=fmt_int(badge["rows"]),
                                                                      users=fmt_int(badge["users"])))
    if badge["from"]:
        st.caption(md(_("{start} to {end}").format(start=fmt_date(badge["from"]), end=fmt_date(badge["to"]))))
    if state.dataset_key() != "sample" and st.button(_("Use sample data"), icon=":material/restart_alt:"):
        state.set_dataset(state.load_sample(), "sample")
        st.rerun()
    if state.PRIVACY_ERROR in st.session_state:
        show_error(st.session_state.pop(state.PRIVACY_ERROR), _("User ids were not pseudonymised."))
    st.toggle(_("Pseudonymise user ids"), key="pseudonymise", on_change=state.apply_privacy,
              help=_("Replace user ids by a salted hash in this session, before any page sees them. "
                     "The salt lives only in memory; reload the data to see the original ids again."))
    if st.session_state.get("pseudonymise") and state.dataset().pseudonymised:
        st.caption(_("User ids on every page and in every download are pseudonyms."))
    st.selectbox(_("Currency shown"), ["£", "$", "€", "¥"], key="currency", on_change=language.currency_picked,
                 help=_("Only the symbol changes; amounts are as in the file"))
    if gate.configured():
        st.button(_("Sign out"), icon=":material/logout:", on_click=gate.sign_out, key="sign_out",
                  help=_("Forget this session's data and choices and lock it again"))

try:
    page.run()
except DataError as exc:  # a page that did not catch it itself: the message, never a traceback; the data stays
    show_error(exc, _("This page is not available for the data in use; the dataset in use is unchanged."))
