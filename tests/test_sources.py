"""Sources on the server: only files inside the operator's folders (traversal, symlink escape, glob
escape refused), stacked files and database tables read through the upload's quality path, and the
Data page offering them only when configured and never while the app is locked."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from promo_core.i18n import locale_context
from promo_core.quality import clean_events, load_dataset
from promo_core.schema import DataError
from promo_core.sources import (
    allowed_roots,
    connection_url,
    list_tables,
    read_db_table,
    read_files,
    resolve_files,
)

from .conftest import ROOT, SAMPLE, full_error_details


@pytest.fixture(scope="module")
def sample_events() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "events.csv.gz")


@pytest.fixture
def tree(tmp_path, sample_events):
    """allowed/ with two Parquet parts, a CSV and a sub-folder; secret/ beside it, outside."""
    allowed, secret = tmp_path / "allowed", tmp_path / "secret"
    (allowed / "parts").mkdir(parents=True)
    secret.mkdir()
    half = len(sample_events) // 2
    sample_events.iloc[:half].to_parquet(allowed / "parts" / "a.parquet", index=False)
    sample_events.iloc[half:].to_parquet(allowed / "parts" / "b.parquet", index=False)
    sample_events.head(500).to_csv(allowed / "small.csv", index=False)
    (secret / "passwords.csv").write_text("user,password\nalice,hunter2\n")
    (allowed / "notes.md").write_text("not data")
    return allowed, secret


def test_a_glob_of_parquet_parts_reads_as_the_whole_file(tree, sample_events):
    allowed, _ = tree
    roots = allowed_roots([str(allowed)])
    files = resolve_files("parts/*.parquet", roots)
    assert [f.path.name for f in files] == ["a.parquet", "b.parquet"]
    seen = []
    raw = read_files(files, progress=lambda stage, frac: seen.append((stage, frac)))
    assert len(raw.frame) == len(sample_events)
    assert seen[-1][1] == 1.0 and "2 files" in seen[-1][0] and any("rows" in s for s, _ in seen)
    whole = load_dataset(SAMPLE / "events.csv.gz")
    ds = clean_events(raw)
    assert ds.report.rows_kept == whole.report.rows_kept and ds.report.users == whole.report.users
    # a folder means its data files (not its sub-folders, not other kinds of files)
    assert [f.path.name for f in resolve_files(str(allowed), roots)] == ["small.csv"]
    assert [f.path.name for f in resolve_files("parts", roots)] == ["a.parquet", "b.parquet"]
    assert len(resolve_files("**/*.parquet", roots)) == 2


@pytest.mark.parametrize(("pattern", "match"), [
    ("../secret/passwords.csv", "climb out"),
    ("parts/../../secret/passwords.csv", "climb out"),
    ("~/x.csv", "home folder"),
    ("{secret}/passwords.csv", "outside the folders"),
    ("/etc/passwd", "outside the folders"),
    ("/*/passwords.csv", "outside the folders"),
    ("{tmp}/*/passwords.csv", "outside the folders"),
    ("{allowed}*/passwords.csv", "outside the folders"),
    ("{allowed}\x00/x.csv", "control characters"),
    ("nothing-*.csv", "No Parquet, CSV or TSV file"),
    ("notes.md", "No Parquet, CSV or TSV file"),
    ("", "No path"),
])
def test_paths_outside_the_allowed_folders_are_refused(tree, pattern, match):
    allowed, secret = tree
    pattern = pattern.format(secret=secret, tmp=secret.parent, allowed=allowed)
    with pytest.raises(DataError, match=match):
        resolve_files(pattern, allowed_roots([str(allowed)]))


def test_symbolic_links_leading_out_are_refused(tree):
    allowed, secret = tree
    os.symlink(secret / "passwords.csv", allowed / "innocent.csv")
    roots = allowed_roots([str(allowed)])
    for pattern in ("innocent.csv", "*.csv", str(allowed)):
        with pytest.raises(DataError, match="symbolic link"):
            resolve_files(pattern, roots)
    os.remove(allowed / "innocent.csv")
    os.symlink(secret, allowed / "linked_dir")
    with pytest.raises(DataError, match="symbolic link"):
        resolve_files("linked_dir/*.csv", roots)
    with pytest.raises(DataError, match="symbolic link"):
        resolve_files("*/*.csv", roots)
    # a link that stays inside is fine
    os.remove(allowed / "linked_dir")
    os.symlink(allowed / "small.csv", allowed / "alias.csv")
    assert [f.path.name for f in resolve_files("alias.csv", roots)] == ["small.csv"]


def test_nothing_is_allowed_without_configured_folders(tree):
    allowed, _ = tree
    assert allowed_roots([]) == [] and allowed_roots(None) == []
    assert allowed_roots(["relative/dir", "/does/not/exist"]) == []
    with pytest.raises(DataError, match="No server folders are configured"):
        resolve_files(str(allowed / "small.csv"), [])
    with pytest.raises(DataError, match="not one of the allowed folders"):
        resolve_files("small.csv", allowed_roots([str(allowed)]), base=allowed.parent)


def test_files_of_different_layouts_are_not_stacked(tree):
    allowed, _ = tree
    pd.DataFrame({"x": [1], "y": [2]}).to_csv(allowed / "other.csv", index=False)
    with pytest.raises(DataError, match="does not have the columns"):
        read_files(resolve_files("*.csv", allowed_roots([str(allowed)])))


@pytest.fixture
def shop_db(tmp_path, sample_events):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as con:
        sample_events.to_sql("events", con, index=False)
        pd.DataFrame({"a": []}).to_sql("empty", con, index=False)
    return f"sqlite:///{path}"


def test_a_database_table_reads_like_the_file(shop_db, sample_events):
    assert list_tables(shop_db) == ["empty", "events"]
    seen = []
    raw = read_db_table({"url": shop_db}, "events", progress=lambda s, f: seen.append((s, f)), chunk_rows=20_000)
    assert len(raw.frame) == len(sample_events) and seen[-1][1] == 1.0
    assert f"{len(sample_events):,} of {len(sample_events):,} rows" in seen[-1][0]
    ds, whole = clean_events(raw), load_dataset(SAMPLE / "events.csv.gz")
    assert ds.report.rows_kept == whole.report.rows_kept and ds.report.users == whole.report.users
    assert ds.events["price"].sum() == pytest.approx(whole.events["price"].sum())


@pytest.mark.parametrize(("table", "match"), [("events; DROP TABLE events", "no table"), ("nope", "no table"),
                                              ("empty", "no rows")])
def test_only_listed_tables_with_rows_are_read(shop_db, table, match):
    with pytest.raises(DataError, match=match):
        read_db_table(shop_db, table)
    assert "events" in list_tables(shop_db)


def test_connection_settings_follow_st_connection_and_hide_passwords():
    url = connection_url({"dialect": "postgresql", "driver": "psycopg", "host": "db.internal", "port": 5432,
                          "database": "shop", "username": "reader", "password": "s3cret"})
    assert url.render_as_string(hide_password=True) == "postgresql+psycopg://reader:***@db.internal:5432/shop"
    with pytest.raises(DataError, match="neither a url nor a dialect"):
        connection_url({"host": "x"})
    with pytest.raises(DataError) as err:
        list_tables({"url": "postgresql+psycopg://reader:s3cret@127.0.0.1:1/shop"})
    assert "s3cret" not in str(err.value) and "could not be reached" in str(err.value)
    with locale_context("zh_CN"):
        with pytest.raises(DataError) as err:
            connection_url({"host": "x"})
    assert "url" in str(err.value) and "dialect" in str(err.value) and "neither" not in str(err.value)


# ---------------------------------------------------------------- the Data page

def data_page(**secrets) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    full_error_details()
    for k, v in secrets.items():
        at.secrets[k] = v
    at.run()
    at.switch_page("views/data.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def expanders(at) -> list[str]:
    return [e.label for e in at.expander]


def test_data_page_offers_no_server_source_unless_configured():
    at = data_page()
    assert "Load from the server" not in expanders(at)
    assert not [t for t in at.text_input if t.key == "src_pattern"]


def test_data_page_reads_a_server_glob_into_the_dataset(tree, sample_events):
    allowed, _ = tree
    at = data_page(sources={"allowed_dirs": [str(allowed)]})
    assert "Load from the server" in expanders(at)
    at.text_input(key="src_pattern").set_value("../secret/passwords.csv").run()
    assert any("climb out" in e.value for e in at.error) and not at.exception
    at.text_input(key="src_pattern").set_value("parts/*.parquet").run()
    at.button(key="src_read").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.session_state["src_raw"][1].frame) == len(sample_events)  # both parts, stacked
    assert any(c.value.startswith("2 files") for c in at.caption)
    at.button(key="src_accept").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["dataset_key"].startswith("server:")
    assert len(at.session_state["dataset"].events) == load_dataset(SAMPLE / "events.csv.gz").report.rows_kept


def test_data_page_reads_a_database_table(shop_db):
    at = data_page(connections={"shop": {"url": shop_db}})
    assert "Load from the server" in expanders(at)
    at.selectbox(key="src_table_shop").set_value("events").run()
    at.button(key="src_read").click().run()
    at.button(key="src_accept").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["dataset_key"].startswith("db:")


def test_locked_app_never_shows_server_sources(tree, shop_db):
    allowed, _ = tree
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    full_error_details()
    at.secrets["password"] = "s3cret"
    at.secrets["sources"] = {"allowed_dirs": [str(allowed)]}
    at.secrets["connections"] = {"shop": {"url": shop_db}}
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/data.py")
    at.run()
    assert not at.exception
    assert "Load from the server" not in expanders(at)
    assert [t.key for t in at.text_input] == ["password_input"]
    assert "src_raw" not in at.session_state and "dataset" not in at.session_state
    assert not any(str(allowed) in str(m.value) for m in at.markdown)


def test_the_section_checks_the_gate_itself(monkeypatch, tree):
    """Defence in depth: even if a page called it while locked, the section draws nothing."""
    import ui.sources as S
    calls = []
    monkeypatch.setattr(S.gate, "locked", lambda: True)
    monkeypatch.setattr(S, "configured_dirs", lambda: calls.append("dirs") or [str(tree[0])])
    S.section()
    assert calls == []


def test_paths_are_never_rendered_as_markup(tree):
    allowed, _ = tree
    odd = allowed / "[link](x) *b*.csv"
    Path(odd).write_text("user_id,timestamp,event\nu1,2026-01-01,purchase\n")
    at = data_page(sources={"allowed_dirs": [str(allowed)]})
    at.text_input(key="src_pattern").set_value("*.csv").run()
    assert not at.exception
    assert any("\\[link\\]" in c.value for c in at.caption)
