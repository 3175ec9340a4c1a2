"""Streamlit-side helpers: page registry, session state, cached core calls, shared widgets."""
