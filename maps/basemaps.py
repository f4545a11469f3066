"""Basemaps: the offline DEM layer (default), MBTiles from our server, online tiles.

A :class:`Basemap` says where tiles come from and in which datum they are
drawn. Chinese web maps (Amap/Gaode) are drawn in GCJ-02: every WGS-84 point
of ours must go through :func:`to_display` first, or it lands 100-700 m off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.errors import InputError
from geo.gcj02 import wgs84_to_gcj02

__all__ = ["Basemap", "BASEMAP_NAMES", "get_basemap", "to_display"]


@dataclass(frozen=True, slots=True)
class Basemap:
    """A tile source. ``datum`` is ``"wgs84"`` or ``"gcj02"``; ``online`` means it needs the internet."""

    name: str
    label: str
    url: str
    attribution: str
    datum: str = "wgs84"
    online: bool = True
    max_zoom: int = 18
    subdomains: str = ""


_ONLINE = {
    "osm": Basemap("osm", "OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                   "&copy; OpenStreetMap contributors", max_zoom=19),
    "esri": Basemap("esri", "Esri World Imagery",
                    "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
                    "Tiles &copy; Esri", max_zoom=19),
    "amap": Basemap("amap", "Amap (Gaode)",
                    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
                    "&copy; AutoNavi", datum="gcj02", max_zoom=18, subdomains="1234"),
    "amap-satellite": Basemap("amap-satellite", "Amap satellite",
                              "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
                              "&copy; AutoNavi", datum="gcj02", max_zoom=18, subdomains="1234"),
}

BASEMAP_NAMES = ("dem", "mbtiles", "tianditu", *sorted(_ONLINE))


def get_basemap(name: str, *, tianditu_key: str | None = None, mbtiles_url: str | None = None) -> Basemap | None:
    """The basemap called ``name``; ``None`` for ``"dem"`` (the DEM layer only, fully offline).

    ``"mbtiles"`` needs ``mbtiles_url`` (our server's ``/tiles/{z}/{x}/{y}``);
    ``"tianditu"`` (CGCS2000, the same as WGS-84 to centimetres) needs a key.
    """
    key = name.strip().lower()
    if key == "dem":
        return None
    if key == "mbtiles":
        if not mbtiles_url:
            raise InputError(
                "basemap='mbtiles' needs the URL of the tiles on our server. "
                "Hint: run `thermal-sar serve --mbtiles FILE.mbtiles` and give --tiles-url http://127.0.0.1:8000/tiles/{z}/{x}/{y}."
            )
        return Basemap("mbtiles", "MBTiles (local)", mbtiles_url, "local tiles", online=False, max_zoom=20)
    if key == "tianditu":
        if not tianditu_key:
            raise InputError("basemap='tianditu' needs a key. Hint: pass --tianditu-key (free from the Tianditu site).")
        return Basemap("tianditu", "Tianditu imagery",
                       "https://t{s}.tianditu.gov.cn/img_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                       "&LAYER=img&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
                       f"&tk={tianditu_key}", "&copy; Tianditu", max_zoom=18, subdomains="01234567")
    if key in _ONLINE:
        return _ONLINE[key]
    raise InputError(f"basemap={name!r} is not known: allowed {', '.join(BASEMAP_NAMES)}.")


def to_display(basemap: Basemap | None, lat_deg, lon_deg):
    """WGS-84 -> the basemap's datum (GCJ-02 for Amap); unchanged otherwise. Scalars or arrays."""
    if basemap is not None and basemap.datum == "gcj02":
        lat, lon = wgs84_to_gcj02(lat_deg, lon_deg)
        if np.ndim(lat) == 0:
            return float(lat), float(lon)
        return np.asarray(lat), np.asarray(lon)
    return lat_deg, lon_deg
