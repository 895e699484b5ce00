"""Every word a person reads goes through gettext: the active language (en or ja), _(), ngettext.

Catalogs live in queries/locale/<lang>/LC_MESSAGES/kizuna.mo (compiled from kizuna.po by
`pybabel compile -d queries/locale -D kizuna`). The language is chosen once at start
(`--lang`, KIZUNA_LANG, `lang` in kizuna.toml, then LC_ALL / LC_MESSAGES / LANG) and can be
switched for tests. Constants are marked with N_() and translated where they are shown.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

DOMAIN = "kizuna"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("en", "ja")
DEFAULT = "en"

_active: gettext.NullTranslations = gettext.NullTranslations()
_lang = DEFAULT


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of one language (English is the source text: no catalog)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def normalise(value: str | None) -> str | None:
    """`ja_JP.UTF-8`, `ja`, `JA` → "ja"; `C`, `POSIX`, `en_US` → "en"; empty → None."""
    if not value:
        return None
    code = value.strip().split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
    if not code:
        return None
    return code if code in LANGUAGES else DEFAULT


def choose(
    explicit: str | None = None,
    configured: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """The language to show: --lang, then KIZUNA_LANG, then kizuna.toml, then the locale."""
    env = os.environ if env is None else env
    for value in (explicit, env.get("KIZUNA_LANG"), configured):
        lang = normalise(value)
        if lang:
            return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):  # POSIX order: the first set one decides
        if env.get(var):
            return normalise(env[var]) or DEFAULT
    return DEFAULT


def set_language(lang: str) -> str:
    """Make `lang` the active language for every later _() call; returns it."""
    global _active, _lang
    _lang = normalise(lang) or DEFAULT
    _active = translations(_lang)
    return _lang


def language() -> str:
    """The active language code ("en" or "ja")."""
    return _lang


def _(message: str) -> str:
    """The message in the active language."""
    return _active.gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for n, in the active language."""
    return _active.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a constant for the catalog without translating it yet (translate it where shown)."""
    return message


def in_language(lang: str, message: str) -> str:
    """The message in a given language, whatever is active (for labels shown in both)."""
    return translations(lang).gettext(message) if message else message
