"""Languages: gettext catalogues, language choice, and numbers formatted for the reader.

The catalogues are standard GNU gettext files, domain ``thermal_sar``, under
``maps/locale/<lang>/LC_MESSAGES/thermal_sar.po`` (the source a translator
edits) and ``.mo`` (compiled with Babel, shipped as package data). Adding a
language is adding a catalogue; no code changes (docs/i18n.md).

Every visible string of the maps and pages is an entry of
:data:`maps.strings.STRINGS`; its key is the gettext *context* (``msgctxt``) and
its English text the ``msgid``, so two entries with the same English text may
still be translated differently. Code elsewhere (the CLI summaries) marks its
strings with ``_()`` from :func:`gettext_for`.

Examples
--------
>>> tr = gettext_for("zh-CN")
>>> tr.lang
'zh_Hans'
>>> tr.s("confirm")
'确认'
>>> tr.heading(275.4)
'275° 西'
>>> gettext_for("en").distance(1234.0)
'1.23 km'
>>> negotiate("de-DE,zh-CN;q=0.8,en;q=0.5")
'zh_Hans'
"""

from __future__ import annotations

import gettext as _gettext
import math
import os
import re
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from geo.coords import compass_word
from geo.errors import InputError
from maps.strings import STRINGS

__all__ = [
    "DOMAIN", "LOCALE_DIR", "SOURCE_LANGUAGE", "Translator", "available_languages", "gettext_for",
    "language_from_env", "negotiate", "normalize_language", "resolve_language", "use_language", "THEMES",
    "normalize_theme", "display_width",
]

DOMAIN = "thermal_sar"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"
THEMES = ("day", "night")

# Chinese tags that mean Simplified script (mainland China, Singapore, Malaysia, or no region at all).
_SIMPLIFIED_REGIONS = {"", "cn", "sg", "my", "hans"}


def available_languages() -> tuple[str, ...]:
    """The source language and every language with a compiled catalogue, e.g. ``("en", "zh_Hans")``."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (SOURCE_LANGUAGE, *[x for x in found if x != SOURCE_LANGUAGE])


def normalize_language(tag: str | None) -> str | None:
    """The shipped language a tag asks for (``"zh-CN"``, ``"zh_Hans"``, ``"zh"`` -> ``"zh_Hans"``), or None.

    Accepts BCP 47 tags (``zh-Hans-CN``), POSIX locales (``zh_CN.UTF-8``) and
    catalogue names. Traditional-script tags (``zh-TW``, ``zh-HK``, ``zh-Hant``)
    match only a ``zh_Hant`` catalogue, none of which ships yet.
    """
    if not tag:
        return None
    t = str(tag).strip().split(".")[0].split("@")[0].replace("-", "_")
    if not t or t.upper() in ("C", "POSIX", "*"):
        return None
    avail = available_languages()
    lowered = {a.lower(): a for a in avail}
    if t.lower() in lowered:
        return lowered[t.lower()]
    parts = [p.lower() for p in t.split("_") if p]
    primary = parts[0]
    if primary == "zh":
        rest = parts[1:]
        script = "hant" if ("hant" in rest or (rest and rest[0] in ("tw", "hk", "mo"))) else "hans"
        if script == "hans" and not all(p in _SIMPLIFIED_REGIONS for p in rest):
            return None
        return lowered.get(f"zh_{script}")
    if primary in lowered:
        return lowered[primary]
    for a in avail:  # a regional catalogue for a bare tag ("pt" -> "pt_BR") only if it is the only one
        if a.lower().split("_")[0] == primary and sum(1 for b in avail if b.lower().split("_")[0] == primary) == 1:
            return a
    return None


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The language for a browser: ``preferred`` (the user's setting) if shipped, else the best of
    ``Accept-Language`` (by q-value, then order), else English."""
    chosen = normalize_language(preferred)
    if chosen:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        bits = part.strip().split(";")
        tag, q = bits[0].strip(), 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag))
    for _, _, tag in sorted(ranked):
        lang = normalize_language(tag)
        if lang:
            return lang
    return SOURCE_LANGUAGE


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language: ``THERMAL_SAR_LANG``, then gettext's ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
    ``LANG``; the first shipped one wins, English otherwise."""
    env = os.environ if environ is None else environ
    for key in ("THERMAL_SAR_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for tag in str(env.get(key) or "").split(":"):
            lang = normalize_language(tag)
            if lang:
                return lang
        if key == "THERMAL_SAR_LANG" and env.get(key):
            # An explicit choice that is not shipped is a mistake worth saying, not a silent fallback.
            raise InputError(f"THERMAL_SAR_LANG={env[key]!r} is not a shipped language: choose one of "
                             f"{', '.join(available_languages())} (or zh-CN, zh-Hans, zh for Simplified Chinese).")
        if key in ("LC_ALL",) and env.get(key):
            break  # LC_ALL overrides LC_MESSAGES and LANG, as in C
    return SOURCE_LANGUAGE


# The language chosen for the work in progress (the CLI's --lang), set with use_language().
_CURRENT: ContextVar[str | None] = ContextVar("thermal_sar_lang", default=None)


@contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Within the block, :func:`gettext_for` (and so every summary and map) without a language uses ``lang``.

    The CLI's ``--lang`` enters this for the run of one command (a context variable: threads and
    tasks started elsewhere are not affected, and nothing leaks into the next command in a test).
    """
    code = resolve_language(lang)
    token = _CURRENT.set(code)
    try:
        yield code
    finally:
        _CURRENT.reset(token)


def resolve_language(lang: str | None = None) -> str:
    """``lang`` if given (raises :class:`InputError` when not shipped), else the one chosen by
    :func:`use_language` (the CLI's ``--lang``), else :func:`language_from_env`."""
    if lang is None:
        return _CURRENT.get() or language_from_env()
    got = normalize_language(lang)
    if got is None:
        raise InputError(f"lang={lang!r} is not a shipped language: choose one of {', '.join(available_languages())} "
                         "(or zh-CN, zh-Hans, zh for Simplified Chinese). Hint: a translator adds one as "
                         "maps/locale/<lang>/LC_MESSAGES/thermal_sar.po (docs/i18n.md).")
    return got


def normalize_theme(theme: str | None) -> str:
    """``"night"`` or ``"day"`` (anything else, including None, is day)."""
    return "night" if str(theme or "").strip().lower() == "night" else "day"


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian wide and full-width characters count two (一, ，, （)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 0 if unicodedata.combining(ch) else 1
               for ch in str(text))


_SPLIT_GROUPS = re.compile(r"(\d)(?=(\d{3})+(?!\d))")


@dataclass(frozen=True)
class Translator:
    """One language: its messages and how numbers read in it. Get one with :func:`gettext_for`.

    ``tr("text")`` (or ``tr.gettext``) translates a ``_()``-marked string;
    ``tr.s(key)`` an entry of :data:`maps.strings.STRINGS`. Formatting helpers
    take SI values (metres, m/s, degrees, seconds) and return text with units.
    """

    lang: str
    catalogue: _gettext.NullTranslations = field(repr=False, compare=False)

    # ------------------------------------------------------------ messages
    def gettext(self, message: str) -> str:
        return self.catalogue.gettext(message)

    __call__ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalogue.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.catalogue.pgettext(context, message)

    def s(self, key: str, **values: object) -> str:
        """The entry ``key`` of STRINGS in this language, ``{placeholders}`` filled from ``values``."""
        try:
            text = self.catalogue.pgettext(key, STRINGS[key])
        except KeyError:
            raise InputError(f"string key={key!r} is not in maps.strings.STRINGS. Hint: add it there with its "
                             "English text and translate it in every catalogue.") from None
        return text.format(**values) if values else text

    def strings(self) -> dict[str, str]:
        """All of STRINGS in this language (for templates and the pages' scripts)."""
        return _strings(self.lang)

    @property
    def bcp47(self) -> str:
        """The tag for ``<html lang>``: ``zh-Hans``, ``en``."""
        return self.lang.replace("_", "-")

    def table(self, rows: Sequence[tuple[str, str]], indent: int = 2) -> list[str]:
        """Lines ``label  value`` with the labels padded to one column by display width (so Chinese labels,
        two columns per character, line up too): the layout of the CLI summaries."""
        w = max((display_width(k) for k, _ in rows), default=0)
        return [f"{' ' * indent}{k}{' ' * (w - display_width(k))}  {v}" for k, v in rows]

    # --------------------------------------------------------- formatting
    def number(self, x: float, decimals: int = 0) -> str:
        """``x`` rounded to ``decimals`` with thousands grouped (1,234.5); a minus sign for negatives."""
        if x is None or not math.isfinite(x):
            return "–"
        text = f"{abs(x):.{decimals}f}"
        whole, _, frac = text.partition(".")
        whole = _SPLIT_GROUPS.sub(r"\1,", whole)
        neg = x < 0 and float(text) != 0.0
        return ("−" if neg else "") + whole + (("." + frac) if frac else "")

    def distance(self, m: float | None) -> str:
        """Metres below 1 km (``"333 m"``), kilometres with two decimals above (``"1.23 km"``)."""
        if m is None or not math.isfinite(m):
            return "–"
        if abs(m) >= 1000.0:
            return self.s("fmt_km", km=self.number(m / 1000.0, 2))
        return self.s("fmt_m", m=self.number(m, 0))

    def height_diff(self, m: float | None) -> str:
        """A signed height difference in whole metres: ``"+42 m"`` (climb), ``"−7 m"``."""
        if m is None or not math.isfinite(m):
            return "–"
        r = round(m)
        return ("+" if r > 0 else "") + self.s("fmt_m", m=self.number(r, 0))

    def speed(self, m_s: float | None) -> str:
        """A speed in km/h with one decimal (``10 m/s`` -> ``"36.0 km/h"``)."""
        if m_s is None or not math.isfinite(m_s):
            return "–"
        return self.s("fmt_kmh", kmh=self.number(m_s * 3.6, 1))

    def coord(self, lat_deg: float, lon_deg: float) -> str:
        """``"30.380000, 119.450000"``: WGS-84 decimal degrees with 6 decimals (about 0.1 m), lat first."""
        return f"{lat_deg:.6f}, {lon_deg:.6f}"

    def compass(self, bearing_deg: float) -> str:
        """The 16-point compass word of a bearing, in this language (``"NE"``, ``"东北"``)."""
        word = compass_word(bearing_deg)
        return self.s(f"compass_{word}")

    def heading(self, bearing_deg: float | None) -> str:
        """A heading as a whole degree 0..359 and its compass word: ``"275° W"`` / ``"275° 西"``."""
        if bearing_deg is None or not math.isfinite(bearing_deg):
            return "–"
        d = int(math.floor(bearing_deg % 360.0 + 0.5)) % 360
        return self.s("fmt_heading", deg=d, compass=self.compass(d))

    def duration(self, s: float | None) -> str:
        """Minutes (``"25 min"``), or hours and minutes from an hour on (``"1 h 05 min"``)."""
        if s is None or not math.isfinite(s):
            return "–"
        m = int(round(s / 60.0))
        if m >= 60:
            return self.s("fmt_hours_minutes", h=m // 60, min=f"{m % 60:02d}")
        return self.s("fmt_minutes", min=m)

    def percent(self, fraction: float | None, decimals: int = 0) -> str:
        """``0.5`` -> ``"50 %"``."""
        if fraction is None or not math.isfinite(fraction):
            return "–"
        return self.s("fmt_percent", pct=self.number(100.0 * fraction, decimals))


@lru_cache(maxsize=16)
def _catalogue(lang: str) -> _gettext.NullTranslations:
    if lang == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang])


@lru_cache(maxsize=16)
def _strings(lang: str) -> dict[str, str]:
    cat = _catalogue(lang)
    return {k: cat.pgettext(k, v) for k, v in STRINGS.items()}


def gettext_for(lang: str | None = None) -> Translator:
    """The :class:`Translator` for ``lang`` (any tag :func:`normalize_language` accepts; None = the
    CLI's ``--lang`` or the environment's, see :func:`resolve_language`). Raises :class:`InputError` for a language not shipped."""
    code = resolve_language(lang)
    return _translator(code)


@lru_cache(maxsize=16)
def _translator(code: str) -> Translator:
    return Translator(code, _catalogue(code))
