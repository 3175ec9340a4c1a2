"""A generated basket file (one basket per line, items separated by commas, no header) with known rules:
a strong pair planted over hundreds of baskets (tea → teapot, 75.5% of tea baskets) and a rare perfect triple
(beer + chips + soy sauce → salsa in 22 baskets, 100%) whose lift is the highest of all rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FILLERS = [f"item {chr(ord('a') + i)}" for i in range(24)]
RARE_TRIPLE = ("beer", "chips", "soy sauce")
RARE_OFFER = "salsa"
N_RARE = 22


def planted_baskets(n: int = 2_000, seed: int = 7) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        basket = list(rng.choice(FILLERS, size=int(rng.integers(1, 4)), replace=False))
        if i < N_RARE:  # the rare perfect triple: the only baskets with beer, chips and soy sauce together
            basket += [*RARE_TRIPLE, RARE_OFFER]
        else:
            tea = rng.random() < 0.30
            if tea:
                basket.append("tea")
            if rng.random() < (0.755 if tea else 0.05):
                basket.append("teapot")
            picked = [x for x, p in (("beer", 0.2), ("chips", 0.2), ("soy sauce", 0.15), (RARE_OFFER, 0.1))
                      if rng.random() < p]
            if set(RARE_TRIPLE) <= set(picked):
                picked.remove("soy sauce")
            basket += picked
        rng.shuffle(basket)
        out.append(basket)
    return out


def write_planted(path: Path, n: int = 2_000, seed: int = 7) -> list[list[str]]:
    """Write the baskets to ``path`` and return them (lines of the file)."""
    baskets = planted_baskets(n, seed)
    path.write_text("".join(",".join(b) + "\n" for b in baskets), encoding="utf-8")
    return baskets
