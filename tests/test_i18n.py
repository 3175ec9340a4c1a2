"""Every wrapped user-visible string has a Chinese translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from promo_core.i18n import _, fmt_compact, fmt_int, fmt_money, fmt_num, fmt_pct, locale_context, ngettext
from promo_core.i18n.catalog import merged_catalog, normalise_locale

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("**/tests/**.py", "ignore"), ("**/benchmarks/**.py", "ignore"), ("**/sample_data/**", "ignore"),
           ("**/.*/**", "ignore"), ("**.py", "python")]
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(?\w*\)?[sdfr]")


def extracted() -> dict[str, str]:
    """msgid → 'file:line' of its first use, for every string wrapped in the app, pages, ui and core."""
    found: dict[str, str] = {}
    for path, line, message, _comments, _ctx in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid:
                found.setdefault(msgid, f"{path}:{line}")
    return found


def test_every_wrapped_string_has_a_chinese_translation():
    cat = merged_catalog("zh_CN")
    missing = [f"{where}: {msgid!r}" for msgid, where in sorted(extracted().items(), key=lambda kv: kv[1])
               if not (m := cat.get(msgid)) or not (m.string if isinstance(m.string, str) else any(m.string))]
    assert not missing, f"{len(missing)} strings have no zh_CN translation:\n" + "\n".join(missing[:80])


def test_catalogs_never_translate_one_message_two_ways():
    """The .po files of a language are merged into one catalog, so one msgid has one translation: a second one in
    another file would be silently dropped (the Segments page was titled 客群 by the analysis catalog, the planner's
    'Offer' column read 推荐). A message that means two things gets two msgids."""
    from babel.messages.pofile import read_po

    seen: dict[tuple, dict[str, str]] = {}
    for path in sorted((ROOT / "promo_core/i18n/locales/zh_CN/LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            for m in read_po(fh):
                if m.id and m.string:
                    seen.setdefault((m.context, str(m.id)), {})[path.name] = str(m.string)
    clashes = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert not clashes, "\n".join(f"{k[1]!r}: {v}" for k, v in clashes.items())


def test_translations_keep_their_placeholders():
    cat = merged_catalog("zh_CN")
    bad = []
    for msg in cat:
        if not msg.id or not msg.string:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        want = sorted(PLACEHOLDER.findall(ids[0]))
        bad += [f"{ids[0]!r} -> {s!r}" for s in strings if sorted(PLACEHOLDER.findall(s)) != want]
    assert not bad, "placeholders differ:\n" + "\n".join(bad[:40])


@pytest.mark.parametrize(("tag", "locale"), [("zh", "zh_CN"), ("zh-CN", "zh_CN"), ("zh-Hans-CN", "zh_CN"),
                                             ("zh_TW", "zh_CN"), ("en-GB", "en"), ("fr", "en"), (None, "en"), ("", "en")])
def test_language_tags_map_to_a_supported_locale(tag, locale):
    assert normalise_locale(tag) == locale


def test_language_is_per_context_and_english_is_the_source():
    with locale_context("zh"):
        assert _("Language") == "语言"
        assert ngettext("{n} user", "{n} users", 2) == "{n} users"  # untranslated falls back to English
    assert _("Language") == "Language"


def test_numbers_money_and_percentages_read_as_a_person_writes_them():
    with locale_context("en"):
        assert fmt_money(-4705.4, "£") == "-£4,705"
        assert fmt_money(-0.2, "£") == "£0"
        assert fmt_money(1234.5, "£", signed=True) == "+£1,234"
        assert fmt_int(12345.0) == "12,345"
        assert fmt_num(325.5826) == "326"
        assert fmt_num(0.012345) == "0.0123"
        assert fmt_pct(0.1234) == "12.3%"
        assert fmt_compact(8_887_123, "£") == "£8.89M"
        assert fmt_money(float("nan")) == "–"
    with locale_context("zh_CN"):
        assert fmt_compact(8_887_123, "¥") == "¥888.71万"
        assert fmt_compact(188_871_234_567, "¥") == "¥1888.71亿"
        assert fmt_money(8887.0) == "¥8,887"


def test_chart_dates_are_written_in_the_language_of_the_screen():
    """plotly.js writes English month names; a Chinese screen gets 2017年11月26日 on the date axes."""
    import pandas as pd

    from promo_core.charts import fig_daily_activity
    daily = pd.DataFrame({"date": pd.date_range("2017-11-25", periods=3), "revenue": [1.0, 2.0, 3.0],
                          "view": [5, 6, 7]})
    with locale_context("zh_CN"):
        zh = fig_daily_activity(daily, "¥")
    with locale_context("en"):
        en = fig_daily_activity(daily, "£")
    assert zh.layout.xaxis.tickformat == "%Y年%-m月%-d日" and zh.layout.xaxis.hoverformat == "%Y年%-m月%-d日"
    assert en.layout.xaxis.tickformat is None   # plotly's own English dates
