import io

import numpy as np
import pandas as pd

from promo_core.export import neutralise, to_csv_bytes, to_excel_bytes, to_json_text


def test_formula_cells_are_neutralised_numbers_untouched():
    df = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "+1", "-cmd", "@SUM(A1)", "ok", None],
                       "n": [-1, 2, 3, 4, 5, 6]})
    out = neutralise(df)
    assert out["name"].tolist()[:5] == ["'=HYPERLINK(\"x\")", "'+1", "'-cmd", "'@SUM(A1)", "ok"]
    assert out["n"].tolist() == [-1, 2, 3, 4, 5, 6]
    text = to_csv_bytes(df).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n-1," not in text.split("\n", 1)[0]


def test_excel_round_trip_keeps_text_inert():
    df = pd.DataFrame({"item": ["=1+1", "<script>alert(1)</script>"]})
    back = pd.read_excel(io.BytesIO(to_excel_bytes(df)))
    assert back["item"].tolist() == ["'=1+1", "<script>alert(1)</script>"]


def test_json_handles_numpy_and_nan():
    assert to_json_text({"a": np.int64(3), "b": float("nan"), "c": (1, 2)}) == (
        '{\n  "a": 3,\n  "b": null,\n  "c": [\n    1,\n    2\n  ]\n}')
