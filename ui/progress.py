"""Progress of long steps on screen: ``st.status`` with the stage's name and an ``st.progress`` bar.

The core reports through an optional callback ``progress(stage, fraction)`` (promo_core.progress);
:func:`steps` gives such a callback and draws it::

    with progress.steps(_("Reading the files")) as report:
        raw = read_files(files, progress=report)

The box shows the current stage in its label, the bar the share done (when the core knows it), and
closes as complete, or as failed when the step raised (the exception is passed on to the page).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from promo_core.i18n import _
from promo_core.progress import Progress


@contextmanager
def steps(label: str, *, done: str | None = None) -> Iterator[Progress]:
    """A status box for one long step; yields the callback to hand to the core."""
    box = st.status(label, expanded=True)
    bar = box.progress(0.0)
    stages: list[str] = []

    def report(stage: str, fraction: float | None = None) -> None:
        stages.append(stage)
        box.update(label=stage)
        if fraction is not None:
            bar.progress(min(1.0, max(0.0, float(fraction))), text=stage)

    try:
        yield report
    except Exception:  # a DataError or a bug: marked as stopped, then passed on (st.rerun/st.stop are not)
        box.update(label=_("{step}: stopped").format(step=label), state="error", expanded=False)
        raise
    box.update(label=done or (stages[-1] if stages else label), state="complete", expanded=False)
