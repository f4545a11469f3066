"""Candidates on the live server: targets the sender's confirmation rule does not believe yet.

The store keeps the state (a column with a default, added to an older database on opening), a target
confirmed once never becomes a candidate again, the ingest API accepts the state and the evidence and
the state API returns them; an officer still confirms or rejects a candidate by hand.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.maps.test_api import login


def _feature(tid: str, *, candidate=None, evidence=None, lat=30.3800, lon=119.4500, sightings=1) -> dict:
    props = {"id": tid, "class_name": "sheep", "confidence": 0.8, "sightings": sightings, "cep_m": 3.0,
             "first_seen_s": 1.0, "last_seen_s": 2.0}
    if candidate is not None:
        props["candidate"] = candidate
    if evidence is not None:
        props["evidence"] = evidence
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat, 500.0]}, "properties": props}


def _fc(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features), "vehicle": "hawk"}


ONCE = {"hits": 1, "opportunities": 3, "hit_fraction": 0.333, "support": 0.27, "class_share": 1.0,
        "area_spread": None, "best_score": 0.8, "reasons": ["few_hits", "low_support"]}
TWICE = dict(ONCE, hits=3, hit_fraction=0.75, opportunities=4, support=0.6, reasons=[])


def test_a_candidate_becomes_a_target_and_never_goes_back(store):
    d, created = store.add_detection(uid="target:T1", kind="target", t_s=1.0, lat_deg=30.38, lon_deg=119.45,
                                     candidate=True, evidence=ONCE, update=True)
    assert created and d["candidate"] is True and d["evidence"]["reasons"] == ["few_hits", "low_support"]
    d, _ = store.add_detection(uid="target:T1", kind="target", t_s=2.0, lat_deg=30.38, lon_deg=119.45,
                               candidate=False, evidence=TWICE, update=True)
    assert d["candidate"] is False and d["evidence"]["hits"] == 3
    d, _ = store.add_detection(uid="target:T1", kind="target", t_s=3.0, lat_deg=30.38, lon_deg=119.45,
                               candidate=True, evidence=ONCE, update=True)
    assert d["candidate"] is False  # latched: the officer's list never loses a target
    assert d["evidence"]["hits"] == 1  # the evidence is the sender's latest word
    plain, _ = store.add_detection(uid="d1", t_s=1.0, lat_deg=30.38, lon_deg=119.45)
    assert plain["candidate"] is False and plain["evidence"] is None


def test_an_older_database_gets_the_columns_and_keeps_its_rows(tmp_path):
    from maps.store import open_store

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)  # the detections table as the first release created it
    conn.execute("CREATE TABLE detections (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE, "
                 "kind TEXT NOT NULL, vehicle TEXT NOT NULL, t_s DOUBLE PRECISION NOT NULL, lat_deg DOUBLE PRECISION "
                 "NOT NULL, lon_deg DOUBLE PRECISION NOT NULL, alt_amsl_m DOUBLE PRECISION, class_name TEXT NOT NULL, "
                 "confidence DOUBLE PRECISION NOT NULL, cep_m DOUBLE PRECISION NOT NULL, sightings INTEGER NOT NULL, "
                 "thumbnail_png_b64 TEXT, status TEXT NOT NULL, merged_into BIGINT, assigned_team TEXT, "
                 "field_status TEXT, created_s DOUBLE PRECISION NOT NULL, updated_s DOUBLE PRECISION NOT NULL)")
    conn.execute("INSERT INTO detections (uid, kind, vehicle, t_s, lat_deg, lon_deg, class_name, confidence, cep_m, "
                 "sightings, status, created_s, updated_s) VALUES ('target:old', 'target', 'd', 1, 30.38, 119.45, "
                 "'person', 0.9, 4, 3, 'confirmed', 1, 1)")
    conn.commit()
    conn.close()
    with open_store(path) as s:
        (old,) = s.list_detections()
        assert old["uid"] == "target:old" and old["status"] == "confirmed"
        assert old["candidate"] is False and old["evidence"] is None
        new, _ = s.add_detection(uid="target:new", kind="target", t_s=2.0, lat_deg=30.38, lon_deg=119.45,
                                 candidate=True, evidence=ONCE)
        assert new["candidate"] is True
    with open_store(path) as s:  # opening again adds nothing twice
        assert [d["candidate"] for d in s.list_detections()] == [False, True]


def test_the_api_accepts_and_returns_the_candidate_state(live_server):
    base = live_server.url
    live_server.ingest("/api/ingest/targets", _fc(_feature("f-T001", candidate=True, evidence=ONCE),
                                                   _feature("f-T002", candidate=False, evidence=TWICE, lat=30.381),
                                                   _feature("f-T003", lat=30.382)))
    c, csrf = login(base, "officer1")
    st = c.get("/api/state").json()
    by_uid = {d["uid"]: d for d in st["detections"]}
    assert by_uid["target:f-T001"]["candidate"] is True
    assert by_uid["target:f-T001"]["evidence"]["reasons"] == ["few_hits", "low_support"]
    assert by_uid["target:f-T001"]["evidence"]["opportunities"] == 3
    assert by_uid["target:f-T002"]["candidate"] is False and by_uid["target:f-T002"]["evidence"]["hits"] == 3
    assert by_uid["target:f-T003"]["candidate"] is False and by_uid["target:f-T003"]["evidence"] is None  # as before
    # Confirmed by the rule later: a target; a later "candidate" from the sender does not take it back.
    live_server.ingest("/api/ingest/targets", _fc(_feature("f-T001", candidate=False, evidence=TWICE, sightings=3)))
    live_server.ingest("/api/ingest/targets", _fc(_feature("f-T001", candidate=True, evidence=ONCE, sightings=3)))
    d = next(x for x in c.get("/api/detections").json() if x["uid"] == "target:f-T001")
    assert d["candidate"] is False and d["sightings"] == 3


def test_an_officer_confirms_or_rejects_a_candidate_by_hand(live_server):
    base = live_server.url
    live_server.ingest("/api/ingest/targets", _fc(_feature("g-T001", candidate=True, evidence=ONCE),
                                                   _feature("g-T002", candidate=True, evidence=ONCE, lat=30.381)))
    c, csrf = login(base, "officer1")
    ids = {d["uid"]: d["id"] for d in c.get("/api/detections").json()}
    h = {"X-CSRF-Token": csrf}
    r = c.post(f"/api/detections/{ids['target:g-T001']}/review", json={"action": "confirm"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "confirmed" and r.json()["candidate"] is True
    r = c.post(f"/api/detections/{ids['target:g-T002']}/review", json={"action": "reject"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "rejected"


@pytest.mark.parametrize("evidence, what", [({"hits": -1}, "hits"), ({"reasons": ["Not a key!"]}, "reasons"),
                                            ({"support": 3.0}, "support")])
def test_invalid_evidence_is_refused_with_the_reason(live_server, evidence, what):
    r = httpx.post(live_server.url + "/api/ingest/targets", json=_fc(_feature("h-T001", candidate=True,
                                                                              evidence=evidence)),
                   headers={"Authorization": f"Bearer {live_server.token}"}, timeout=10)
    assert r.status_code == 422 and "evidence" in r.json()["detail"], r.text
    assert live_server.store.get_detection_by_uid("target:h-T001") is None
