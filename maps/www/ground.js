/* The ground team's phone: where is my target, how far, which way; report back. */
"use strict";
(function () {
  const S = SAR.S, PAL = SAR.PAL;
  const map = SAR.makeMap("map");
  let me = null, target = null, route = null, cep = null;

  function show(g) {
    const t = g.target;
    document.getElementById("no-target").hidden = !!t;
    document.getElementById("target").hidden = !t;
    document.getElementById("actions").hidden = !t;
    if (g.me && g.me.pos) {
      if (!me) { me = L.circleMarker(g.me.pos, { radius: 9, color: PAL.meRing, weight: 3, fillColor: PAL.me, fillOpacity: 1 }).addTo(map); }
      else { me.setLatLng(g.me.pos); }
    }
    targetId = t ? t.id : null;
    if (!t) { return; }
    document.getElementById("target-name").textContent = "#" + t.id + " " + SAR.className(t.class_name) + " · " + SAR.fmt("fmt_confidence", { pct: Math.round(100 * t.confidence) });
    const th = document.getElementById("target-thumb");
    if (t.thumbnail_url) { th.src = t.thumbnail_url; th.hidden = false; } else { th.hidden = true; }
    document.getElementById("gpx").href = "/api/ground/target.gpx?id=" + t.id;
    document.getElementById("kml").href = "/api/ground/target.kml?id=" + t.id;
    document.getElementById("field-status").textContent = S["status_" + (t.field_status || "assigned")] || "";
    if (!target) {
      target = L.circleMarker(t.pos, { radius: 11, color: PAL.marker, weight: 2, fillColor: SAR.CLASS_COLOURS[t.class_name] || PAL.cep, fillOpacity: 1, className: "target-marker" }).addTo(map);
      cep = L.circle(t.pos, { radius: Math.max(t.cep_m, 1), color: PAL.cep, weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
    } else { target.setLatLng(t.pos); cep.setLatLng(t.pos); }
    const gd = g.guidance;
    document.getElementById("no-position").hidden = !!gd;
    if (gd) {
      document.getElementById("bearing").textContent = SAR.fmtHeading(gd.bearing_deg);
      document.getElementById("distance").textContent = SAR.fmtDist(gd.distance_m);
      document.getElementById("height").textContent = SAR.fmtHeightDiff(gd.height_diff_m);
      document.getElementById("walk").textContent = SAR.fmtTime(gd.walk_time_s);
      const line = [g.me.pos, t.pos];
      if (!route) { route = L.polyline(line, { color: PAL.route, weight: 3, dashArray: "8 6" }).addTo(map); } else { route.setLatLngs(line); }
      map.fitBounds(L.latLngBounds(line).pad(0.3), { maxZoom: 17 });
    } else { map.setView(t.pos, 16); }
    SAR.fitted = true;
  }

  function refresh() { return SAR.api("GET", "/api/ground/guidance").then(show).catch(function (e) { console.warn(e.message); }); }

  function report(lat, lon, alt) {
    return SAR.api("POST", "/api/ground/position", { lat_deg: lat, lon_deg: lon, alt_amsl_m: alt }).then(show);
  }

  let lastSent = 0;
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(function (p) {
      const now = Date.now();
      if (now - lastSent < 5000) { return; }
      lastSent = now;
      report(p.coords.latitude, p.coords.longitude, p.coords.altitude).catch(function (e) { console.warn(e.message); });
    }, function (err) { console.warn("geolocation:", err.message); }, { enableHighAccuracy: true, maximumAge: 10000 });
  }

  document.getElementById("manual-pos").addEventListener("submit", function (ev) {
    ev.preventDefault();
    const parts = document.getElementById("pos-input").value.split(/[,;\s]+/).filter(Boolean).map(Number);
    if (parts.length < 2 || parts.some(isNaN)) { alert(S.position_format); return; }
    report(parts[0], parts[1], null).catch(function (e) { alert(e.status === 422 ? S.position_format : SAR.failure(e)); });
  });

  document.querySelectorAll(".actions button").forEach(function (b) {
    b.addEventListener("click", function () {
      SAR.api("POST", "/api/ground/status", { status: b.dataset.status }).then(show)
        .catch(function (e) { alert(e.status === 409 ? S.no_assignment : SAR.failure(e)); });
    });
  });

  let targetId = null;
  SAR.live({ detection: function (d) {
    if (d.assigned_team === SAR.CFG.user || d.id === targetId) { refresh(); }
  } }, show, "/api/ground/guidance");
})();
