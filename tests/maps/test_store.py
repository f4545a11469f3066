"""The repository layer, on SQLite and on PostgreSQL (the same tests)."""

from __future__ import annotations

import pytest

from geo.errors import InputError


def test_users_sessions(store):
    u = store.add_user("alice", "officer", password_hash="h")
    assert store.get_user("alice")["role"] == "officer"
    with pytest.raises(InputError, match="exists"):
        store.add_user("alice", "viewer", password_hash="h")
    with pytest.raises(InputError, match="role"):
        store.add_user("bob", "admin", password_hash="h")
    with pytest.raises(InputError, match="username"):
        store.add_user("bad name;", "viewer")
    store.create_session("th1", u["id"], "csrf1", 2e9)
    user, csrf, exp = store.get_session("th1")
    assert user["username"] == "alice" and csrf == "csrf1" and exp == 2e9
    store.delete_session("th1")
    assert store.get_session("th1") is None
    assert store.remove_user("alice") and store.get_user("alice") is None


def test_detections_are_idempotent_by_uid(store):
    d, created = store.add_detection(uid="a1", t_s=1.0, lat_deg=30.0, lon_deg=119.0, confidence=0.7, class_name="person")
    assert created and d["status"] == "new" and not d["has_thumbnail"]
    d2, created2 = store.add_detection(uid="a1", t_s=2.0, lat_deg=31.0, lon_deg=119.0, confidence=0.9)
    assert not created2 and d2["id"] == d["id"] and d2["lat_deg"] == 30.0
    d3, _ = store.add_detection(uid="a1", t_s=2.0, lat_deg=31.0, lon_deg=119.0, confidence=0.9, update=True)
    assert d3["lat_deg"] == 31.0 and d3["confidence"] == 0.9
    assert store.set_thumbnail("a1", "iVBORw0KGgo=")["has_thumbnail"]
    assert store.thumbnail(d["id"]) == "iVBORw0KGgo="
    d4 = store.update_detection(d["id"], status="confirmed", assigned_team="g1", field_status="assigned")
    assert (d4["status"], d4["assigned_team"]) == ("confirmed", "g1")
    with pytest.raises(InputError):
        store.update_detection(d["id"], lat_deg=0.0)
    assert store.count_detections() == 1


def test_telemetry_teams_audit_settings(store):
    for i in range(5):
        store.add_telemetry(vehicle="d1", t_s=float(i), lat_deg=30.0 + i * 1e-4, lon_deg=119.0,
                            footprint=[[30.0, 119.0], [30.001, 119.0], [30.001, 119.001]] if i % 2 else None)
    tr = store.track(limit=3)
    assert [t["t_s"] for t in tr] == [2.0, 3.0, 4.0]
    assert len(store.footprints()) == 2
    store.add_user("g1", "ground", password_hash="h")
    assert store.list_teams()[0]["lat_deg"] is None
    store.set_team_position("g1", 30.1, 119.1, 400.0, 5.0)
    store.set_team_position("g1", 30.2, 119.2, 410.0, 6.0)
    assert store.list_teams()[0]["lat_deg"] == 30.2
    store.audit("alice", "confirm", 1, "x")
    assert store.list_audit()[0]["action"] == "confirm"
    store.set_setting("mission", "{}")
    store.set_setting("mission", '{"a": 1}')
    assert store.get_setting("mission") == '{"a": 1}'


def test_bad_sqlite_path_is_a_clear_error(tmp_path):
    from geo.errors import SarIOError
    from maps.store import open_store

    with pytest.raises(SarIOError, match="does not exist"):
        open_store(tmp_path / "nope" / "x.db")


def test_bad_postgres_url_is_a_clear_error():
    from geo.errors import SarIOError
    from maps.store import open_store

    with pytest.raises(SarIOError, match="cannot connect"):
        open_store("postgresql://nobody:secret@127.0.0.1:1/none")
