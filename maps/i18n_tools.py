"""Catalogue maintenance with Babel: extract the messages, update every ``.po``, compile the ``.mo``.

Usage (from the repository root)::

    python -m maps.i18n_tools update      # extract -> maps/locale/thermal_sar.pot, merge into each .po, compile
    python -m maps.i18n_tools compile     # only compile every .po to its .mo
    python -m maps.i18n_tools init LANG   # start a catalogue for a new language (e.g. ja, zh_Hant)

The same with plain ``pybabel`` (the mapping file registers the extractor of
``maps/strings.py``)::

    pybabel extract -F maps/locale/babel.cfg -k N_ -c TRANSLATORS: -o maps/locale/thermal_sar.pot .
    pybabel update -D thermal_sar -i maps/locale/thermal_sar.pot -d maps/locale
    pybabel compile -D thermal_sar -d maps/locale --statistics

Messages come from two places: every entry of :data:`maps.strings.STRINGS`
(context = key, msgid = English text) and every ``_()``, ``gettext()``,
``ngettext()``, ``pgettext()`` or ``N_()`` call under ``thermal_sar/`` (the CLI
summaries). Babel is needed here and in the tests, not at run time (the
server and the CLI read the ``.mo`` files with the standard library's gettext).
"""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path
from typing import Iterator

from maps.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE

__all__ = ["extract_strings", "extract_messages", "build_template", "update_catalogues", "compile_catalogues",
           "init_catalogue", "catalogue_paths", "MAPPING_FILE", "KEYWORDS"]

REPO_ROOT = Path(__file__).resolve().parents[1]
MAPPING_FILE = LOCALE_DIR / "babel.cfg"
# Babel's default keywords plus N_ (mark a string for translation without translating it there).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}


def extract_strings(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel extractor for ``maps/strings.py``: one ``pgettext(key, text)`` per entry of ``STRINGS``.

    Reads the source (no import), so a syntax error there is reported by Babel
    with the file name rather than hidden.
    """
    tree = ast.parse(fileobj.read().decode("utf-8"))
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        if target != "STRINGS" or not isinstance(value, ast.Dict):
            continue
        for k, v in zip(value.keys, value.values):
            if isinstance(k, ast.Constant) and isinstance(v, ast.Constant) and isinstance(v.value, str):
                comments = [f"placeholders: {v.value.count('{')}"] if "{" in v.value else []
                yield k.lineno, "pgettext", (str(k.value), v.value), comments


def _method_map() -> list[tuple[str, str]]:
    return [("maps/strings.py", "maps.i18n_tools:extract_strings"), ("thermal_sar/**.py", "python")]


def extract_messages(root: Path = REPO_ROOT) -> list[tuple[str | None, str | tuple[str, str], str]]:
    """``(context, msgid or (singular, plural), where)`` for every message in the sources under ``root``."""
    from babel.messages.extract import extract_from_dir

    out = []
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map=_method_map(), options_map={}, keywords=KEYWORDS):
        out.append((context, message, f"{filename}:{lineno}"))
    return out


def build_template(root: Path = REPO_ROOT):
    """The template catalogue (``.pot``) of every message, as a :class:`babel.messages.catalog.Catalog`."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    cat = Catalog(project="thermal-sar", msgid_bugs_address="", copyright_holder="thermal-sar developers",
                  charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map=_method_map(), options_map={}, keywords=KEYWORDS):
        cat.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return cat


def catalogue_paths() -> list[Path]:
    """Every shipped ``.po`` (one per language)."""
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _write_po(cat, path: Path) -> None:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, cat, width=100, sort_output=False, omit_header=False, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def compile_catalogues() -> list[Path]:
    """Compile every ``.po`` to its ``.mo`` (fuzzy entries are left out, as gettext does); returns the .mo paths."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    out = []
    for po in catalogue_paths():
        with po.open("rb") as fh:
            cat = read_po(fh, locale=po.parent.parent.name, domain=DOMAIN)
        mo = po.with_suffix(".mo")
        buf = io.BytesIO()
        write_mo(buf, cat, use_fuzzy=False)
        mo.write_bytes(buf.getvalue())
        out.append(mo)
    return out


def update_catalogues(root: Path = REPO_ROOT) -> list[Path]:
    """Re-extract, write the ``.pot``, merge it into every ``.po`` (new entries empty), compile. Returns the .po paths."""
    from babel.messages.pofile import read_po, write_po

    tmpl = build_template(root)
    buf = io.BytesIO()
    write_po(buf, tmpl, width=100, omit_header=False)
    (LOCALE_DIR / f"{DOMAIN}.pot").write_bytes(buf.getvalue())
    pos = catalogue_paths()
    for po in pos:
        with po.open("rb") as fh:
            cat = read_po(fh, locale=po.parent.parent.name, domain=DOMAIN)
        cat.update(tmpl, no_fuzzy_matching=True)
        _write_po(cat, po)
    compile_catalogues()
    return pos


def init_catalogue(lang: str, root: Path = REPO_ROOT) -> Path:
    """Start ``maps/locale/<lang>/LC_MESSAGES/thermal_sar.po`` from the template (every entry untranslated)."""
    from babel import Locale

    loc = Locale.parse(lang)  # raises for a tag Babel does not know
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if po.exists():
        raise FileExistsError(f"{po} exists; run `python -m maps.i18n_tools update` to merge new messages.")
    cat = build_template(root)
    cat.locale = loc
    cat.language_team = f"{loc.english_name} <>"
    _write_po(cat, po)
    return po


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["update"]:
        for p in update_catalogues():
            print(f"updated {p.relative_to(REPO_ROOT)} and its .mo")
    elif args[:1] == ["compile"]:
        for p in compile_catalogues():
            print(f"compiled {p.relative_to(REPO_ROOT)}")
    elif args[:1] == ["init"] and len(args) == 2 and args[1] != SOURCE_LANGUAGE:
        print(f"created {init_catalogue(args[1]).relative_to(REPO_ROOT)}: translate it, then run `update`")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
