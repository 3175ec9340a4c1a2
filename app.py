"""PromoScope: the router and frame. Pages live in pages/; the logic lives in promo_core."""

import os

# Before pandas loads pyarrow: Arrow allocates with malloc, whose freed memory the janitor can hand
# back to the system after sessions end (see ui.state.use_system_allocator).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

import streamlit as st  # noqa: E402

from ui import gate, state  # noqa: E402
from ui.registry import PAGES  # noqa: E402
from ui.widgets import md  # noqa: E402

st.set_page_config(page_title="PromoScope", page_icon=":material/percent:", layout="wide")
state.start_janitor()
if gate.locked():
    # Only the sign-in screen is registered, under every page's URL (so a typed /segments asks for
    # the password and, once signed in, opens Segments); any other URL falls back to it too.
    st.navigation([st.Page(gate.sign_in, title="Sign in", icon=":material/lock:", url_path="sign-in", default=True),
                   *[st.Page(gate.sign_in, title="Sign in", url_path=spec.url_path) for spec in PAGES]],
                  position="hidden").run()
    st.stop()

sections: dict[str, list] = {}
for spec in PAGES:
    sections.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                default=spec is PAGES[0]))
page = st.navigation(sections)

ds = state.dataset()
with st.sidebar:
    st.subheader("Dataset in use")
    st.text(ds.name)
    badge = ds.badge()
    st.markdown(f"**{badge['rows']:,}** rows · **{badge['users']:,}** users")
    if badge["from"]:
        st.caption(md(f"{badge['from'][:10]} to {badge['to'][:10]}"))
    if state.dataset_key() != "sample" and st.button("Use sample data", icon=":material/restart_alt:"):
        state.set_dataset(state.load_sample(), "sample")
        st.rerun()
    st.toggle("Pseudonymise user ids", key="pseudonymise", on_change=state.apply_privacy,
              help="Replace user ids by a salted hash in this session, before any page sees them. "
                   "The salt lives only in memory; reload the data to see the original ids again.")
    st.selectbox("Currency shown", ["£", "$", "€", "¥"], key="currency",
                 help="Only the symbol changes; amounts are as in the file")
    if gate.configured():
        st.button("Sign out", icon=":material/logout:", on_click=gate.sign_out, key="sign_out",
                  help="Forget this session's data and choices and lock it again")

page.run()
