/* Shared by the officer and ground pages: config, API calls, the map, the live event stream. */
"use strict";
const SAR = (function () {
  const CFG = JSON.parse(document.getElementById("sar-config").textContent);
  const S = CFG.strings;

  async function api(method, url, body) {
    const opts = { method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") { opts.headers["X-CSRF-Token"] = CFG.csrf || ""; }
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(url, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) { const e = new Error((data && data.detail) || ("HTTP " + r.status)); e.status = r.status; throw e; }
    return data;
  }

  function makeMap(el) {
    const map = L.map(el, { zoomControl: true, preferCanvas: false });
    const bases = {}, overlays = {};
    if (CFG.tiles) {
      const t = L.tileLayer(CFG.tiles.url, { attribution: CFG.tiles.attribution, maxZoom: CFG.tiles.max_zoom, subdomains: CFG.tiles.subdomains });
      t.addTo(map); bases[CFG.tiles.label] = t;
    }
    map.setView([30.38, 119.45], 13);
    L.control.scale({ imperial: false }).addTo(map);
    const ctl = L.control.layers(bases, overlays, { collapsed: true }).addTo(map);
    if (CFG.terrain) {
      api("GET", "/api/terrain").then(function (t) {
        const img = L.imageOverlay(t.png_url, t.bounds, { opacity: CFG.tiles ? 0.5 : 1.0, className: "terrain-layer" });
        img.addTo(map); img.bringToBack();
        const cont = L.geoJSON(t.contours, { interactive: false, style: function (f) {
          return { color: PAL.contour, weight: f.properties.major ? 1.3 : 0.5, opacity: f.properties.major ? 0.8 : 0.5 }; } });
        cont.addTo(map);
        ctl.addOverlay(img, S.layer_hillshade); ctl.addOverlay(cont, S.layer_contours);
        /* not animated: a zoom animation still running would undo a later fit (to a target, an orbit) */
        if (!SAR.fitted) { map.fitBounds(t.bounds, { animate: false }); }
      }).catch(function (e) { console.warn("terrain:", e.message); });
    }
    return map;
  }

  /* Subscribe first, then load the state: every event carries the whole object, so overlap is harmless. */
  function live(handlers, onState, stateUrl) {
    const conn = document.getElementById("conn");
    let es = null;
    function connect() {
      es = new EventSource("/api/events");
      es.onopen = function () {
        conn.textContent = S.connection_live; conn.className = "conn live";
        api("GET", stateUrl || "/api/state").then(onState).catch(function (e) { console.warn(e.message); });
      };
      es.onerror = function () {
        conn.textContent = S.connection_lost; conn.className = "conn lost";
        if (es.readyState === EventSource.CLOSED) {
          /* The browser gives up on an error answer (not on a dropped line): find out why. */
          fetch(stateUrl || "/api/state", { credentials: "same-origin" }).then(function (r) {
            if (r.status === 401) { window.location.href = "/login"; } else { setTimeout(connect, 2000); }
          }).catch(function () { setTimeout(connect, 2000); });
        }
      };
      Object.keys(handlers).forEach(function (k) {
        es.addEventListener(k, function (ev) { handlers[k](JSON.parse(ev.data)); });
      });
    }
    connect();
  }

  /* S.fmt_* strings carry {name} placeholders so a translation can reorder them. */
  /* What to tell a person when a request failed: no answer at all is a lost connection (in their language);
     the server's own message (English, naming the field) otherwise. */
  function failure(e) { return e && e.status ? e.message : S.connection_lost; }
  function fmt(key, vals) { return String(S[key]).replace(/\{(\w+)\}/g, function (_, k) { return vals[k]; }); }
  function esc(s) { const d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
  /* Numbers for the reader, as maps.i18n.Translator writes them (the same strings, the same rounding). */
  function num(x, decimals) {
    const t = Math.abs(x).toFixed(decimals || 0).split(".");
    const neg = x < 0 && Number(t.join(".")) !== 0;
    return (neg ? "−" : "") + t[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (t[1] ? "." + t[1] : "");
  }
  function fmtDist(m) { return m == null ? "–" : (Math.abs(m) >= 1000 ? fmt("fmt_km", { km: num(m / 1000, 2) }) : fmt("fmt_m", { m: num(m, 0) })); }
  function fmtHeightDiff(m) { if (m == null) { return "–"; } const r = Math.round(m); return (r > 0 ? "+" : "") + fmt("fmt_m", { m: num(r, 0) }); }
  function fmtTime(s) {
    if (s == null) { return "–"; }
    const m = Math.round(s / 60);
    return m >= 60 ? fmt("fmt_hours_minutes", { h: Math.floor(m / 60), min: String(m % 60).padStart(2, "0") }) : fmt("fmt_minutes", { min: m });
  }
  function fmtPct(fraction, decimals) { return fraction == null ? "–" : fmt("fmt_percent", { pct: num(100 * fraction, decimals || 0) }); }
  const COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"];
  function compass(deg) { return S["compass_" + COMPASS[Math.floor(((deg % 360 + 360) % 360 + 11.25) / 22.5) % 16]]; }
  function fmtHeading(deg) { if (deg == null) { return "–"; } const d = Math.floor(((deg % 360) + 360) % 360 + 0.5) % 360; return fmt("fmt_heading", { deg: d, compass: compass(d) }); }
  function fmtCoord(lat, lon) { return lat.toFixed(6) + ", " + lon.toFixed(6); }
  function className(c) { return S["class_" + c] || c; }
  /* Great-circle distance (m) and initial bearing (deg) on the WGS-84 mean sphere; enough for "who is near". */
  function distBearing(lat1, lon1, lat2, lon2) {
    const R = 6371008.8, r = Math.PI / 180;
    const p1 = lat1 * r, p2 = lat2 * r, dp = (lat2 - lat1) * r, dl = (lon2 - lon1) * r;
    const a = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
    const y = Math.sin(dl) * Math.cos(p2), x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
    return { m: 2 * R * Math.asin(Math.min(1, Math.sqrt(a))), deg: (Math.atan2(y, x) / r + 360) % 360 };
  }
  function clock(t) { return t ? new Date(t * 1000).toLocaleTimeString(CFG.lang || undefined, { hour12: false }) : ""; }
  const NIGHT = CFG.theme === "night";
  /* Night: every colour on the map is a red or a dim amber, so a look at the screen keeps night vision. */
  const CLASS_COLOURS = NIGHT
    ? { person: "#ff1744", sheep: "#d84315", cow: "#a1411f", dog: "#c62828", animal: "#e64a19", vehicle: "#8e3b3b", hotspot: "#a1502a" }
    : { person: "#e6194b", sheep: "#f58231", cow: "#9a6324", dog: "#911eb4", animal: "#f032e6", vehicle: "#4363d8", hotspot: "#808000" };
  const PAL = NIGHT
    ? { me: "#ff8a65", meRing: "#3a0d08", route: "#ff5252", cep: "#ff5252", track: "#b71c1c", footprint: "#ff6e40",
        area: "#c62828", line: "#8e2a2a", noFly: "#ff1744", hole: "#5d2a25", ring: "#d84315", marker: "#1a0504",
        confirmed: "#ffab91", candidate: "#7f2a1f", orbit: "#ff6e40", poi: "#ff1744", contour: "#7f2a1f", team: "#ff8a65", launch: "#a1502a" }
    : { me: "#1e88e5", meRing: "#ffffff", route: "#e53935", cep: "#e53935", track: "#212121", footprint: "#6a1b9a",
        area: "#0d47a1", line: "#1f77b4", noFly: "#b71c1c", hole: "#455a64", ring: "#ef6c00", marker: "#000000",
        confirmed: "#1e88e5", candidate: "#757575", orbit: "#00838f", poi: "#d81b60", contour: "#5d4037", team: "#2e7d32", launch: "#ffeb3b" };

  return { CFG, S, api, failure, makeMap, live, fmt, esc, num, fmtDist, fmtHeightDiff, fmtTime, fmtPct, fmtHeading, fmtCoord, compass,
           className, distBearing, clock, CLASS_COLOURS, PAL, NIGHT, fitted: false };
})();
