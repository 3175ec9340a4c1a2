"""promo-core --lang zh: the one-paragraph explanation of a bad input in Chinese; English stays the default."""

from __future__ import annotations

from promo_core.cli import main


def test_bad_input_explained_in_chinese(tmp_path, capsys):
    f = tmp_path / "one.csv"
    f.write_text("a\n1\n2\n")
    assert main(["--lang", "zh", "validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "只有一列" in err and "处理建议" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_english_is_the_default(tmp_path, capsys):
    f = tmp_path / "one.csv"
    f.write_text("a\n1\n2\n")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "has a single column" in err and "What to do:" in err
