"""`thermal-sar users` and `serve` with bad input: foreign databases, typos, contradictory options."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from geo.errors import SarIOError
from maps.store import open_store
from thermal_sar.cli import main

PW = "a long password"


def _digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


# -- 11: the store refuses databases that are not ours --------------------------------
def test_foreign_users_table_is_refused_and_untouched(tmp_path, capsys):
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (x)")
    conn.execute("INSERT INTO users VALUES (1)")
    conn.commit()
    conn.close()
    before = _digest(db)
    assert main(["users", "list", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "not a thermal-sar database" in err and "'users' lacks the columns" in err and "Nothing was changed" in err
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal/-shm either
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["users"]
    conn.close()


def test_database_with_unknown_tables_is_refused(tmp_path):
    db = tmp_path / "photos.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(SarIOError, match=r"tables thermal-sar does not use \(photos\)"):
        open_store(db)
    assert main(["users", "add", "a", "--role", "viewer", "--password", PW, "--db", str(db)]) == 2


def test_a_file_that_is_no_database_is_refused(tmp_path):
    db = tmp_path / "junk.db"
    db.write_bytes(b"not a database " * 20)
    with pytest.raises(SarIOError, match="file is not a database"):
        open_store(db)


def test_our_own_and_empty_databases_still_open(tmp_path):
    db = tmp_path / "ok.db"
    with open_store(db) as s:
        s.add_user("chief", "officer", password_hash="x")
    with open_store(db, create=False) as s:
        assert [u["username"] for u in s.list_users()] == ["chief"]
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with open_store(empty) as s:
        assert s.list_users() == []


@pytest.mark.parametrize("cmd", [["list"], ["remove", "bob"], ["passwd", "bob", "--password", PW], ["token", "bob"]])
def test_commands_on_a_missing_database_do_not_create_it(tmp_path, capsys, cmd):
    db = tmp_path / "typo.db"
    assert main(["users", *cmd, "--db", str(db)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not db.exists()


def test_remove_unknown_user_is_an_error_like_passwd(tmp_path, capsys):
    db = str(tmp_path / "u.db")
    assert main(["users", "add", "chief", "--role", "officer", "--password", PW, "--db", db]) == 0
    capsys.readouterr()
    assert main(["users", "remove", "nobody", "--db", db]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    assert main(["users", "passwd", "nobody", "--password", PW, "--db", db]) == 2


def test_ingest_user_with_password_is_refused(tmp_path, capsys):
    db = tmp_path / "u.db"
    assert main(["users", "add", "drone1", "--role", "ingest", "--password", PW, "--db", str(db)]) == 2
    assert "not allowed for role ingest" in capsys.readouterr().err
    assert not db.exists()


# -- 12: serve options are checked before anything starts -----------------------------
@pytest.mark.parametrize("args, says", [
    (["--port", "70000"], "port=70000 is out of range: allowed 1..65535"),
    (["--port", "-1"], "port=-1 is out of range"),
    (["--session-hours", "nan"], "session_hours=nan is out of range"),
    (["--session-hours", "inf"], "session_hours=inf"),
    (["--session-hours", "0"], "session_hours=0.0"),
    (["--session-hours", "100000"], "<= 720"),
    (["--basemap", "mbtiles"], "--basemap mbtiles needs --mbtiles"),
    (["--dem", "x.hgt", "--no-terrain"], "contradict"),
])
def test_serve_options_are_checked_before_the_user_check(tmp_path, capsys, args, says):
    db = tmp_path / "empty.db"
    assert main(["serve", "--db", str(db), *args]) == 2
    captured = capsys.readouterr()
    assert says in captured.err and "no users" not in captured.err
    assert "serve on" not in captured.out and "--tiles-url" not in captured.err
    assert not db.exists()
