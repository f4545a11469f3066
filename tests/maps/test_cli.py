"""`thermal-sar users` and `serve` argument handling (the server itself is exercised in test_api/test_crash)."""

from __future__ import annotations

from thermal_sar.cli import main


def test_users_add_list_remove(tmp_path, capsys):
    db = str(tmp_path / "u.db")
    assert main(["users", "add", "chief", "--role", "officer", "--password", "a long password", "--db", db]) == 0
    assert main(["users", "add", "drone1", "--role", "ingest", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "added chief (officer)" in out and "token" in out
    assert main(["users", "add", "chief", "--role", "viewer", "--password", "a long password", "--db", db]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["users", "add", "x", "--role", "viewer", "--password", "short", "--db", db]) == 2
    assert main(["users", "list", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines() == ["chief\tofficer", "drone1\tingest"]
    assert main(["users", "remove", "drone1", "--db", db]) == 0
    assert main(["users", "list", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines() == ["removed drone1", "chief\tofficer"]


def test_serve_refuses_a_database_without_users(tmp_path, capsys):
    assert main(["serve", "--db", str(tmp_path / "empty.db"), "--no-terrain", "--port", "1"]) == 2
    assert "no users" in capsys.readouterr().err


def test_serve_rejects_a_bad_mbtiles(tmp_path, capsys):
    bad = tmp_path / "x.mbtiles"
    bad.write_text("nope, not a database at all")
    assert main(["serve", "--db", str(tmp_path / "a.db"), "--mbtiles", str(bad), "--no-terrain"]) == 2
    assert "MBTiles" in capsys.readouterr().err


def test_users_passwd_and_token(tmp_path, capsys):
    from maps.security import token_hash, verify_password
    from maps.store import open_store

    db = str(tmp_path / "u.db")
    assert main(["users", "add", "chief", "--role", "officer", "--password", "a long password", "--db", db]) == 0
    assert main(["users", "add", "drone1", "--role", "ingest", "--db", db]) == 0
    assert main(["users", "passwd", "chief", "--password", "another long one", "--db", db]) == 0
    assert main(["users", "token", "drone1", "--db", db]) == 0
    tok = capsys.readouterr().out.strip().splitlines()[-1].split()[-1]
    assert main(["users", "token", "chief", "--db", db]) == 2
    assert main(["users", "passwd", "nobody", "--password", "a long password", "--db", db]) == 2
    with open_store(db) as s:
        assert verify_password(s.get_user("chief")["password_hash"], "another long one")
        assert s.user_by_token_hash(token_hash(tok))["username"] == "drone1"
