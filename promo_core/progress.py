"""Progress reports from long core steps, through an optional callback (no streamlit here).

A long core function takes ``progress: Progress | None = None`` and calls it as
``progress(stage, fraction)``: ``stage`` is a short, already translated sentence naming the step
("Reading files: 3 of 8, 1,200,000 rows, 45 MB"), ``fraction`` the share of the whole work done
(0 to 1) or None when it is not known. The app's ``ui/progress.py`` turns these calls into
``st.status`` and ``st.progress``; the CLI and notebooks pass nothing. A callback never changes a
result.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, "float | None"], None]


def report(progress: Progress | None, stage: str, fraction: float | None = None) -> None:
    """Call ``progress`` when one was given; fractions are clipped to 0-1."""
    if progress is not None:
        progress(stage, None if fraction is None else min(1.0, max(0.0, float(fraction))))


def scaled(progress: Progress | None, start: float, end: float) -> Progress | None:
    """A callback for a sub-step that covers ``start``-``end`` of the parent's work."""
    if progress is None:
        return None

    def sub(stage: str, fraction: float | None = None) -> None:
        report(progress, stage, None if fraction is None else start + (end - start) * fraction)
    return sub
