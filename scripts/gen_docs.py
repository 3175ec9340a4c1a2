"""Regenerate the generated parts of README.md (the column synonyms table) from promo_core.schema.

Usage: python scripts/gen_docs.py          (rewrite README.md)
       python scripts/gen_docs.py --check  (exit 1 when README.md is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from promo_core.schema import EVENT_SYNONYMS, synonyms_table  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- synonyms:begin -->", "<!-- synonyms:end -->"


def table() -> str:
    rows = synonyms_table()
    head = "| column | type | required | meaning | recognised headers |\n|---|---|---|---|---|\n"
    body = "".join(f"| `{r['column']}` | {r['type']} | {r['required']} | {r['meaning']} | "
                   f"{r['recognised headers']} |\n" for r in rows)
    events: dict[str, list[str]] = {}
    for raw, canon in EVENT_SYNONYMS.items():
        if raw != canon:
            events.setdefault(canon, []).append(raw)
    ev = "\nEvent values understood: " + "; ".join(
        f"**{k}** ← {', '.join(v)}" for k, v in events.items()) + ".\n"
    return head + body + ev


def render(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table() + text[end:]


if __name__ == "__main__":
    current = README.read_text(encoding="utf-8")
    new = render(current)
    if "--check" in sys.argv:
        sys.exit(0 if new == current else 1)
    README.write_text(new, encoding="utf-8")
