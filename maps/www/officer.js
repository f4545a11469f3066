/* The command post: live drone, detections to review, teams to send. */
"use strict";
(function () {
  const S = SAR.S, CFG = SAR.CFG, PAL = SAR.PAL;
  const map = SAR.makeMap("map");
  const dets = {};          // id -> {d, marker}
  const teams = {};         // username -> {t, marker}
  let drone = null, track = null, footprint = null, missionLayer = null, poi = null, fittedPoi = "";
  const list = document.getElementById("detections");
  const readonly = document.body.classList.contains("readonly");
  /* Candidates: objects the drone's confirmation rule does not believe yet (and no officer has reviewed).
     Drawn dimmer and smaller, kept out of the count of targets to review; a toggle hides them. */
  const candToggle = document.getElementById("show-candidates");
  let showCandidates = true;
  try { showCandidates = window.localStorage.getItem("sar.showCandidates") !== "0"; } catch (e) { /* storage off */ }
  candToggle.checked = showCandidates;

  function isCandidate(d) { return !!d.candidate && d.status === "new"; }

  function candidateWhy(d) {
    const e = d.evidence;
    if (!e) { return ""; }
    const parts = [];
    if (e.opportunities) { parts.push(SAR.fmt("fmt_candidate_seen", { hits: e.hits, opportunities: e.opportunities })); }
    (e.reasons || []).forEach(function (r) {
      if ((r === "few_hits" || r === "low_support") && e.opportunities) { return; }  // said by the line above
      parts.push(S["reason_" + r] || r);
    });
    return parts.join("; ");
  }

  function statusWord(d) {
    let s = S["status_" + d.status] || d.status;
    if (d.assigned_team) { s += " → " + d.assigned_team + " (" + (S["status_" + (d.field_status || "assigned")] || d.field_status) + ")"; }
    return s;
  }

  function teamOptions(d) {
    const names = Object.keys(teams).sort();
    const sug = (d.suggestions || []).map(function (s) { return s.username; });
    const order = sug.concat(names.filter(function (n) { return sug.indexOf(n) < 0; }));
    return order.map(function (n, i) {
      const s = (d.suggestions || []).find(function (x) { return x.username === n; });
      const extra = s ? " – " + SAR.fmtDist(s.distance_m) + ", " + S.walk_time + " " + SAR.fmtTime(s.walk_time_s) +
        (s.busy ? " (" + S.team_busy + ")" : (i === 0 ? " (" + S.suggested + ")" : "")) : "";
      return '<option value="' + SAR.esc(n) + '">' + SAR.esc(n + extra) + "</option>";
    }).join("");
  }

  function card(d) {
    const li = document.createElement("li");
    const cand = isCandidate(d);
    li.className = "det st-" + d.status + (cand ? " candidate" : "");
    li.hidden = cand && !showCandidates;
    li.id = "det-" + d.id;
    li.dataset.id = d.id;
    const img = d.thumbnail_url ? '<img src="' + SAR.esc(d.thumbnail_url) + '" alt="">' : '<div class="nothumb"></div>';
    let buttons = "";
    if (!readonly) {
      if (d.status === "new") {
        buttons += '<button class="confirm good">' + SAR.esc(S.confirm) + '</button><button class="reject bad">' + SAR.esc(S.reject) + "</button>";
        buttons += '<button class="merge">' + SAR.esc(S.merge) + "</button>";
      }
      if (d.status === "confirmed") {
        buttons += '<select class="team" aria-label="' + SAR.esc(S.assign_to) + '">' + teamOptions(d) + '</select><button class="assign primary">' + SAR.esc(S.assign) + "</button>";
      }
    }
    const candLine = cand ? '<div class="meta cand-why" title="' + SAR.esc(S.candidate_hint) + '">' + SAR.esc(candidateWhy(d) || S.candidate_hint) + "</div>" : "";
    li.innerHTML = img + '<div><div class="title">#' + d.id + " " + SAR.esc(SAR.className(d.class_name)) + " " + SAR.esc(SAR.fmtPct(d.confidence)) +
      (cand ? ' <span class="cand-badge">' + SAR.esc(S.candidate) + "</span>" : "") + '</div>' + candLine +
      '<div class="meta">' + SAR.clock(d.t_s) + " · " + SAR.esc(SAR.fmt("fmt_cep", { m: SAR.num(d.cep_m, 0) })) + " · " + SAR.fmtCoord(d.lat_deg, d.lon_deg) + "</div>" +
      '<div class="meta status">' + SAR.esc(statusWord(d)) + '</div><div class="buttons">' + buttons + "</div></div>";
    li.addEventListener("click", function (ev) {
      const b = ev.target.closest("button");
      if (!b) { const e = dets[d.id]; if (e) { map.panTo(e.marker.getLatLng()); e.marker.openPopup(); } return; }
      ev.stopPropagation();
      let p;
      if (b.classList.contains("confirm")) { p = SAR.api("POST", "/api/detections/" + d.id + "/review", { action: "confirm" }); }
      else if (b.classList.contains("reject")) { p = SAR.api("POST", "/api/detections/" + d.id + "/review", { action: "reject" }); }
      else if (b.classList.contains("merge")) {
        const into = window.prompt(S.merge + " #", "");
        if (!into) { return; }
        p = SAR.api("POST", "/api/detections/" + d.id + "/merge", { into_id: parseInt(into, 10) });
      } else if (b.classList.contains("assign")) {
        const team = li.querySelector("select.team").value;
        if (!team) { return; }
        p = SAR.api("POST", "/api/detections/" + d.id + "/assign", { team: team });
      }
      if (p) { p.then(upsertDet).catch(function (e) { alert(SAR.failure(e)); }); }
    });
    return li;
  }

  function upsertDet(d) {
    const colour = SAR.CLASS_COLOURS[d.class_name] || PAL.hole;
    let e = dets[d.id];
    if (e && e.d.updated_s > d.updated_s) { return; }  // an older copy (a snapshot that crossed an event)
    const hidden = d.status === "rejected" || d.status === "merged";
    const cand = isCandidate(d);
    if (!e) {
      const m = L.circleMarker(d.pos, { radius: 9, color: PAL.marker, weight: 2, fillColor: colour, fillOpacity: 0.95, className: "det-marker det-marker-" + d.id });
      const cep = L.circle(d.pos, { radius: Math.max(d.cep_m, 1), color: colour, weight: 1, fillOpacity: 0.1, interactive: false });
      e = dets[d.id] = { d: d, marker: m, cep: cep };
      if (!SAR.fitted) { map.setView(d.pos, Math.max(map.getZoom(), 15)); SAR.fitted = true; }
    }
    e.d = d;
    e.marker.setLatLng(d.pos); e.cep.setLatLng(d.pos); e.cep.setRadius(Math.max(d.cep_m, 1));
    if (cand) {
      e.marker.setRadius(5);
      e.marker.setStyle({ opacity: 0.7, fillOpacity: 0.35, weight: 1.5, dashArray: "3 3", fillColor: colour, color: PAL.candidate });
      e.cep.setStyle({ opacity: 0.35, fillOpacity: 0.04, dashArray: "2 4" });
    } else {
      e.marker.setRadius(9);
      e.marker.setStyle({ opacity: hidden ? 0.3 : 1, fillOpacity: hidden ? 0.2 : 0.95, weight: 2, dashArray: null, fillColor: colour, color: d.status === "confirmed" ? PAL.confirmed : PAL.marker });
      e.cep.setStyle({ opacity: 1, fillOpacity: 0.1, dashArray: null });
    }
    e.marker.bindPopup("<b>#" + d.id + " " + SAR.esc(SAR.className(d.class_name)) + "</b> " + SAR.esc(SAR.fmtPct(d.confidence)) + "<br>" +
      (d.thumbnail_url ? '<img class="popup-thumb" src="' + SAR.esc(d.thumbnail_url) + '" width="128"><br>' : "") +
      (cand ? "<i>" + SAR.esc(S.candidate) + "</i>: " + SAR.esc(candidateWhy(d) || S.candidate_hint) + "<br>" : "") +
      SAR.esc(statusWord(d)) + "<br>" + SAR.fmtCoord(d.lat_deg, d.lon_deg));
    placeMarker(e);
    const old = document.getElementById("det-" + d.id);
    const li = card(d);
    if (old) { list.replaceChild(li, old); } else { list.insertBefore(li, list.firstChild); }
    counts();
  }

  function placeMarker(e) {
    /* On the map unless it is a candidate and candidates are hidden. */
    const show = showCandidates || !isCandidate(e.d);
    [e.marker, e.cep].forEach(function (l) {
      if (show && !map.hasLayer(l)) { l.addTo(map); } else if (!show && map.hasLayer(l)) { map.removeLayer(l); }
    });
    const el = e.marker.getElement();
    if (el) { el.classList.toggle("det-candidate", isCandidate(e.d)); }
    if (show && !isCandidate(e.d)) { e.marker.bringToFront(); }  // a target is never hidden under a candidate
  }

  function counts() {
    /* The count is of targets to review: candidates are counted apart. */
    let n = 0, c = 0;
    Object.keys(dets).forEach(function (k) { if (isCandidate(dets[k].d)) { c += 1; } else { n += 1; } });
    document.getElementById("det-count").textContent = n;
    document.getElementById("cand-count").textContent = c;
    const note = document.getElementById("cand-hidden");
    note.hidden = showCandidates || c === 0;
    note.textContent = SAR.fmt("fmt_candidates_hidden", { n: c });
  }

  candToggle.addEventListener("change", function () {
    showCandidates = candToggle.checked;
    try { window.localStorage.setItem("sar.showCandidates", showCandidates ? "1" : "0"); } catch (e) { /* storage off */ }
    Object.keys(dets).forEach(function (k) {
      const e = dets[k];
      placeMarker(e);
      const li = document.getElementById("det-" + k);
      if (li) { li.hidden = isCandidate(e.d) && !showCandidates; }
    });
    counts();
  });

  function upsertTeam(t) {
    let e = teams[t.username];
    if (!e) { e = teams[t.username] = { t: t, marker: null }; }
    e.t = t;
    if (t.pos) {
      if (!e.marker) {
        e.marker = L.marker(t.pos, { icon: L.divIcon({ className: "", html: '<span class="team-icon">' + SAR.esc(t.username) + "</span>", iconSize: null }) }).addTo(map);
      } else { e.marker.setLatLng(t.pos); }
    }
    const ul = document.getElementById("teams");
    ul.innerHTML = Object.keys(teams).sort().map(function (n) {
      const x = teams[n].t;
      return "<li>" + SAR.esc(n) + ' <span class="muted">' + (x.pos ? SAR.fmtCoord(x.lat_deg, x.lon_deg) + " · " + SAR.clock(x.t_s) : "–") + "</span></li>";
    }).join("");
    showNearby();
  }

  let lastTelemetryId = 0;
  function onTelemetry(t) {
    if (t.id <= lastTelemetryId) { return; }
    lastTelemetryId = t.id;
    const icon = L.divIcon({ className: "", html: '<div class="drone-icon" style="transform: rotate(' + (t.heading_deg || 0) + 'deg)">▲</div>', iconSize: [22, 22], iconAnchor: [11, 11] });
    if (!drone) { drone = L.marker(t.pos, { icon: icon, zIndexOffset: 1000 }).addTo(map); track = L.polyline([], { color: PAL.track, weight: 2, opacity: 0.7 }).addTo(map); }
    else { drone.setLatLng(t.pos); drone.setIcon(icon); }
    track.addLatLng(t.pos);
    const pts = track.getLatLngs(); if (pts.length > 3000) { pts.splice(0, pts.length - 3000); track.setLatLngs(pts); }
    if (t.footprint_disp) {
      if (!footprint) { footprint = L.polygon(t.footprint_disp, { color: PAL.footprint, weight: 1, fillOpacity: 0.15, interactive: false }).addTo(map); }
      else { footprint.setLatLngs(t.footprint_disp); }
    }
    document.getElementById("drone").textContent = t.vehicle + " · " + (t.alt_amsl_m != null ? SAR.fmt("fmt_altitude", { m: SAR.num(t.alt_amsl_m, 0) }) + " · " : "") + SAR.clock(t.t_s);
    if (!SAR.fitted) { map.setView(t.pos, 15); SAR.fitted = true; }
  }

  function onProgress(p) {
    if (!p) { return; }
    document.getElementById("covered").textContent = SAR.fmt("fmt_covered", { pct: SAR.num(100 * p.covered_fraction, 1), km2: SAR.num(p.area_m2 / 1e6, 2) });
    document.getElementById("pod").textContent = SAR.fmtPct(p.pod);
  }

  /* Overwatch (mission.overwatch): the orbit, the point watched, and which ground units are near it. */
  function roleOf(f) { const p = f.properties || {}; return String(p.role || p.kind || "").replace("-", "_"); }

  function onMission(fc) {
    if (missionLayer) { map.removeLayer(missionLayer); missionLayer = null; }
    poi = null;
    if (fc) {
      missionLayer = L.geoJSON(fc, {
        style: function (f) {
          const k = roleOf(f);
          if (k === "point_of_interest") { return { radius: 8, color: PAL.poi, weight: 3, fillColor: PAL.poi, fillOpacity: 0.35 }; }
          if (f.geometry.type === "Point") { return { radius: 6, color: PAL.marker, weight: 2, fillColor: PAL.launch, fillOpacity: 1 }; }
          if (k === "footprint" || k === "line") { return { color: PAL.footprint, weight: 0.5, opacity: 0.3, fillOpacity: 0.03 }; }
          if (k === "priority_ring") { return { color: PAL.ring, weight: 1.5, dashArray: "6 4", fill: false }; }
          if (k === "no_fly") { return { color: PAL.noFly, weight: 2, fillOpacity: 0.25 }; }
          if (k === "hole") { return { color: PAL.hole, weight: 1, dashArray: "4 4", fillOpacity: 0.3 }; }
          if (k === "orbit") { return { color: PAL.orbit, weight: 3, opacity: 0.9, dashArray: "10 6", className: "orbit-line" }; }
          if (f.geometry.type.indexOf("Line") >= 0) { return { color: PAL.line, weight: 1.5, opacity: 0.6 }; }
          return { color: PAL.area, weight: 2, fillOpacity: 0.05 };
        },
        filter: function (f) { return roleOf(f) !== "waypoint"; },
        pointToLayer: function (f, ll) {
          if (roleOf(f) === "point_of_interest") {
            return L.circleMarker(ll, { radius: 8, color: PAL.poi, weight: 3, fillColor: PAL.poi, fillOpacity: 0.35, className: "poi-marker" })
              .bindTooltip(S.kind_point_of_interest, { permanent: true, direction: "right", className: "poi-label" });
          }
          return L.circleMarker(ll, { radius: 6, color: PAL.marker, weight: 2, fillColor: PAL.launch, fillOpacity: 1 });
        },
        interactive: false,
      }).addTo(map);
      missionLayer.bringToBack();
      /* A new search: show its area (an overwatch below shows its orbit instead). */
      const mb = missionLayer.getBounds();
      if (!SAR.fitted && mb.isValid()) { map.fitBounds(mb.pad(0.15), { animate: false, maxZoom: 18 }); SAR.fitted = true; }
      const feats = fc.features || [];
      const orbit = feats.find(function (f) { return roleOf(f) === "orbit"; });
      const point = feats.find(function (f) { return roleOf(f) === "point_of_interest"; });
      if (point) {
        const c = point.geometry.coordinates, op = (orbit && orbit.properties) || {}, ow = (fc.properties && fc.properties.overwatch) || {};
        poi = { lat: c[1], lon: c[0] };
        document.getElementById("ow-point").textContent = SAR.fmtCoord(c[1], c[0]);
        const r = op.radius_m != null ? op.radius_m : (point.properties || {}).radius_m;
        document.getElementById("ow-radius").textContent = r != null ? SAR.fmtDist(r) : "–";
        const agl = ow.agl_m != null ? ow.agl_m : (op.orbit_agl_min_m != null ? (op.orbit_agl_min_m + op.orbit_agl_max_m) / 2 : null);
        document.getElementById("ow-agl").textContent = agl != null ? SAR.fmt("fmt_m", { m: SAR.num(agl, 0) }) : "–";
        const tos = op.time_on_station_s != null ? op.time_on_station_s : ow.time_on_station_s;
        document.getElementById("ow-time").textContent = SAR.fmtTime(tos);
        const key = SAR.fmtCoord(c[1], c[0]);
        if (orbit && fittedPoi !== key) {
          /* A new point to watch: show its orbit and the nearest units (up to three within 2 km), once. */
          const b = L.geoJSON(orbit).getBounds();
          nearest().filter(function (r) { return r.m < 2000; }).slice(0, 3).forEach(function (r) { b.extend(r.t.pos || [r.t.lat_deg, r.t.lon_deg]); });
          map.fitBounds(b.pad(0.15), { animate: false, maxZoom: 17 });
          fittedPoi = key; SAR.fitted = true;
        }
      }
    }
    document.getElementById("overwatch").hidden = !poi;
    showNearby();
  }

  /* Ground units by distance from the point watched (nearest first), with where they are from it. */
  function nearest() {
    return Object.keys(teams).map(function (n) { return teams[n].t; }).filter(function (t) { return t.lat_deg != null; })
      .map(function (t) { const db = SAR.distBearing(poi.lat, poi.lon, t.lat_deg, t.lon_deg); return { t: t, m: db.m, deg: db.deg }; })
      .sort(function (a, b) { return a.m - b.m; });
  }

  function showNearby() {
    if (!poi) { return; }
    const rows = nearest().slice(0, 8);
    document.getElementById("ow-no-units").hidden = rows.length > 0;
    document.getElementById("ow-units").innerHTML = rows.map(function (r) {
      return '<li class="unit" data-team="' + SAR.esc(r.t.username) + '"><b>' + SAR.esc(r.t.username) + "</b> " +
        SAR.esc(SAR.fmt("fmt_unit_from_point", { dist: SAR.fmtDist(r.m), compass: SAR.compass(r.deg) })) +
        ' <span class="muted">· ' + SAR.esc(S.position_age) + " " + SAR.clock(r.t.t_s) + "</span></li>";
    }).join("");
  }

  /* Flight health: what the aircraft's ground station reports (a stalled camera, a lost link, this server
     unreachable) as banners over the map while it lasts, and a log. "No data from the drone" is found here:
     a flight in progress whose telemetry stopped arriving (whatever the cause, the officer must know). */
  const NO_DATA_S = 10;
  const health = {};        // key -> status (active ones)
  let healthLog = [];
  const lastData = {};      // vehicle -> browser time (ms) of its last telemetry
  const bannerBox = document.getElementById("health-banners");

  function healthTitle(kind) { return S["health_" + kind] || S.health_other; }

  function onStatus(st) {
    if (st.active) { health[st.key] = st; } else { delete health[st.key]; }
    healthLog = [st].concat(healthLog.filter(function (x) { return !(x.key === st.key && (x.active || x.started_s === st.started_s)); })).slice(0, 50);
    if (st.kind === "flight" && st.active && lastData[st.vehicle] == null) { lastData[st.vehicle] = Date.now(); }
    showHealth();
  }

  function banner(st) {
    const hint = S["health_hint_" + st.kind];
    return '<div class="health-banner sev-' + SAR.esc(st.severity) + '" data-kind="' + SAR.esc(st.kind) + '"><b>' + SAR.esc(healthTitle(st.kind)) +
      "</b> · " + SAR.esc(st.vehicle) + '<span class="since">' + SAR.esc(SAR.fmt("fmt_health_since", { time: SAR.clock(st.started_s) })) + "</span>" +
      (hint ? '<div class="hint">' + SAR.esc(hint) + "</div>" : "") +
      (st.message ? '<div class="detail">' + SAR.esc(st.message) + "</div>" : "") + "</div>";
  }

  function noDataStatuses() {
    /* A flight in progress (its "flight" status active) whose telemetry stopped: seen from this page. */
    const out = [];
    Object.keys(health).forEach(function (k) {
      const f = health[k];
      if (f.kind !== "flight") { return; }
      const last = lastData[f.vehicle] != null ? lastData[f.vehicle] : f.started_s * 1000;
      if ((Date.now() - last) / 1000 > NO_DATA_S) {
        out.push({ key: f.vehicle + ":no_data", kind: "no_data", vehicle: f.vehicle, severity: "warning", started_s: last / 1000, message: "" });
      }
    });
    return out;
  }

  function showHealth() {
    const act = Object.keys(health).map(function (k) { return health[k]; })
      .filter(function (x) { return x.severity !== "info"; }).concat(noDataStatuses())
      .sort(function (a, b) { return (b.severity === "critical") - (a.severity === "critical") || a.started_s - b.started_s; });
    bannerBox.innerHTML = act.map(banner).join("");
    const log = healthLog.filter(function (x) { return x.severity !== "info"; });
    document.getElementById("health-ok").hidden = act.length > 0;
    document.getElementById("health-log").innerHTML = log.map(function (x) {
      const when = x.active ? SAR.fmt("fmt_health_since", { time: SAR.clock(x.started_s) })
        : SAR.fmt("fmt_health_span", { start: SAR.clock(x.started_s), end: SAR.clock(x.ended_s) }) + " · " +
          (x.resolved === false ? S.health_unresolved : S.health_resolved);
      return '<li class="sev-' + SAR.esc(x.severity) + (x.active ? " active" : " resolved") + '" data-kind="' + SAR.esc(x.kind) + '"><b>' +
        SAR.esc(healthTitle(x.kind)) + "</b> · " + SAR.esc(x.vehicle) + " · " + SAR.esc(when) + "</li>";
    }).join("");
  }
  setInterval(showHealth, 2000);

  function onTelemetryLive(t) { lastData[t.vehicle] = Date.now(); onTelemetry(t); }

  SAR.live({
    detection: upsertDet, team: upsertTeam, telemetry: onTelemetryLive, progress: onProgress, mission: onMission,
    status: onStatus,
  }, function (st) {
    if (st.statuses) {
      Object.keys(health).forEach(function (k) { delete health[k]; });
      st.statuses.active.forEach(function (x) { health[x.key] = x; });
      healthLog = st.statuses.log.slice();
      if (st.telemetry) { lastData[st.telemetry.vehicle] = Math.max(lastData[st.telemetry.vehicle] || 0, Math.min(Date.now(), st.telemetry.t_s * 1000)); }
      showHealth();
    }
    st.teams.forEach(upsertTeam);
    if (st.mission) { onMission(st.mission); }  /* first: the search area frames the view */
    st.detections.forEach(upsertDet);
    if (st.telemetry) {
      onTelemetry(st.telemetry);
      track.setLatLngs(st.track);
    }
    onProgress(st.progress);
  });
})();
