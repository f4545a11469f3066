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
    if (!r.ok) { throw new Error((data && data.detail) || ("HTTP " + r.status)); }
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
          return { color: "#5d4037", weight: f.properties.major ? 1.3 : 0.5, opacity: f.properties.major ? 0.8 : 0.5 }; } });
        cont.addTo(map);
        ctl.addOverlay(img, S.layer_hillshade); ctl.addOverlay(cont, S.layer_contours);
        if (!SAR.fitted) { map.fitBounds(t.bounds); }
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
  function fmt(key, vals) { return String(S[key]).replace(/\{(\w+)\}/g, function (_, k) { return vals[k]; }); }
  function esc(s) { const d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
  function fmtDist(m) { return m == null ? "–" : (m >= 1000 ? (m / 1000).toFixed(2) + " km" : Math.round(m) + " m"); }
  function fmtTime(s) { if (s == null) { return "–"; } const m = Math.round(s / 60); return m >= 60 ? Math.floor(m / 60) + " h " + (m % 60) + " min" : m + " min"; }
  function clock(t) { return t ? new Date(t * 1000).toLocaleTimeString() : ""; }
  const CLASS_COLOURS = { person: "#e6194b", sheep: "#f58231", cow: "#9a6324", dog: "#911eb4", animal: "#f032e6", vehicle: "#4363d8", hotspot: "#808000" };

  return { CFG, S, api, makeMap, live, fmt, esc, fmtDist, fmtTime, clock, CLASS_COLOURS, fitted: false };
})();
