"""Offline web assets: Leaflet from the ``xstatic-leaflet`` package, never a CDN.

Plain folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs, so
its pages are blank without internet. thermal-sar draws with Leaflet alone
(circle markers, polylines, polygons, div icons: no icon fonts, no jQuery) and:

* **static maps** (``thermal-sar map``) embed ``leaflet.js`` and
  ``leaflet.css`` inline, with the CSS's images turned into data URIs, so one
  HTML file works from a USB stick on a laptop with the network off;
* **the live server** serves the same files from ``/static/`` (cached by the
  browser, so a phone on one bar of signal fetches them once).

:class:`OfflineMap` is a :class:`folium.Map` whose ``default_js`` and
``default_css`` are empty and whose header carries the inline assets instead.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

import folium
from branca.element import Element

from geo.errors import SarIOError

__all__ = ["leaflet_dir", "leaflet_js", "leaflet_css_inline", "OfflineMap", "STATIC_DIR", "TEMPLATE_DIR"]

STATIC_DIR = Path(__file__).with_name("www")  # served at /static/
TEMPLATE_DIR = Path(__file__).with_name("templates")


def leaflet_dir() -> Path:
    """Folder holding ``leaflet.js``, ``leaflet.css`` and ``images/`` (from xstatic-leaflet)."""
    try:
        import xstatic.pkg.leaflet as xs
    except ImportError:  # pragma: no cover - dependency pinned in pyproject
        raise SarIOError(
            "the package xstatic-leaflet is not installed, so Leaflet cannot be embedded. "
            "Hint: pip install xstatic-leaflet (it is a dependency of thermal-sar)."
        ) from None
    d = Path(xs.BASE_DIR)
    if not (d / "leaflet.js").is_file():  # pragma: no cover
        raise SarIOError(f"leaflet.js is missing from {d}. Hint: reinstall xstatic-leaflet.")
    return d


@functools.cache
def leaflet_js() -> str:
    """The minified Leaflet source."""
    text = (leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    # The source map comment would make devtools ask for a file that is not there.
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", text)


@functools.cache
def leaflet_css_inline() -> str:
    """Leaflet's CSS with every ``url(images/...)`` replaced by a data URI."""
    d = leaflet_dir()
    css = (d / "leaflet.css").read_text(encoding="utf-8")

    def repl(m: re.Match) -> str:
        p = d / m.group(1)
        if not p.is_file():
            return "none"
        mime = "image/svg+xml" if p.suffix == ".svg" else "image/png"
        return f"url(data:{mime};base64,{base64.b64encode(p.read_bytes()).decode('ascii')})"

    return re.sub(r"url\((images/[^)]+)\)", repl, css)


# folium's popups call ``$(`<div>...</div>`)[0]`` (and ``$(document).ready`` for
# objects in front): these two uses are all it needs of jQuery.
JQUERY_SHIM = """
window.$ = window.$ || function (x) {
  if (typeof x === "string") { var t = document.createElement("template"); t.innerHTML = x.trim(); return [t.content.firstChild]; }
  return { ready: function (fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } } };
};
"""


class OfflineMap(folium.Map):
    """A :class:`folium.Map` that references no URL: Leaflet is embedded inline.

    Use only elements that need nothing but Leaflet (CircleMarker, Circle,
    PolyLine, Polygon, GeoJson, ImageOverlay, DivIcon markers, LayerControl);
    ``folium.Icon`` needs Font Awesome and Bootstrap and is not used.
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs):
        figure = self.get_root()
        # Names make repeated renders idempotent (children are keyed by name).
        figure.header.add_child(Element(f"<style>{leaflet_css_inline()}</style>"), name="leaflet_css_inline")
        figure.header.add_child(Element(f"<script>{leaflet_js()}</script>"), name="leaflet_js_inline")
        figure.header.add_child(Element(f"<script>{JQUERY_SHIM}</script>"), name="jquery_shim")
        super().render(**kwargs)
