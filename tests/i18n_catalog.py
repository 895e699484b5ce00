"""Extract the msgids from the source, merge them into the Japanese .po and compile the .mo.

`python -m tests.i18n_catalog` after wrapping new strings in _() / N_() / ngettext: new msgids
land in queries/locale/ja/LC_MESSAGES/kizuna.po with an empty msgstr (translate them there),
then the same command compiles kizuna.mo. tests/unit/test_i18n.py checks both are complete.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "queries" / "locale" / "ja" / "LC_MESSAGES" / "kizuna.po"
MO = PO.with_suffix(".mo")
SOURCES = ("queries", "tui")
# _(), N_(), ngettext(), tui.commands.title() and the description of tui.keymap.bind()
KEYWORDS = {**DEFAULT_KEYWORDS, "bind": (3,), "title": None}


def extract() -> Catalog:
    """Every msgid marked in queries/ and tui/ (like `pybabel extract -k N_`)."""
    template = Catalog(project="kizuna", domain="kizuna")
    for folder in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            template.add(
                message,
                None,
                [(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def read() -> Catalog:
    with PO.open("rb") as fh:
        return read_po(fh, locale="ja", domain="kizuna")


def compiled(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def main() -> None:
    template = extract()
    if PO.is_file():
        catalog = read()
        template.creation_date = catalog.creation_date  # no churn in the header
        catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
    else:
        catalog = Catalog(locale="ja", domain="kizuna", project="kizuna")
        catalog.update(template)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    catalog.last_translator = "Kizuna"
    catalog.language_team = "Japanese"
    catalog.version = "0.1"
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, include_lineno=False, sort_output=True)
    MO.write_bytes(compiled(catalog))
    ids = [m for m in catalog if m.id]
    missing = [
        m.id for m in ids if not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    print(f"{len(ids)} msgids, {len(missing)} untranslated -> {PO.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
