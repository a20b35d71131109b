"""Checks that the English and Hebrew message catalogs agree (``make catalogs-check``).

For every ``locale/<lang>/LC_MESSAGES/{django,djangojs}.po`` under the repository's
``locale/`` and any ``loom/<app>/locale/``, the ``en`` and ``he`` catalogs of the same
place and domain must:

* both exist, and hold the same set of keys (context, msgid and plural msgid);
* in Hebrew, have a non-empty ``msgstr`` for every entry and every plural form;
* in Hebrew, have no entry (and no header) marked ``fuzzy`` — gettext skips those;
* in Hebrew, use only the named ``%(placeholders)s`` that the English text has.

With no catalogs at all the check fails too: an empty repository passes nothing.
Exit status 0 when everything agrees, 1 with a list of problems otherwise.

Usage: ``python scripts/check_catalogs.py [REPOSITORY_ROOT]``
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import polib

SOURCE = "en"
TARGET = "he"
DOMAINS = ("django", "djangojs")
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[sdifgeExXrcou]")

Key = tuple[str, str, str]  # (msgctxt, msgid, msgid_plural)


@dataclass(frozen=True)
class CatalogSet:
    """The catalogs of one locale directory and one domain, by language."""

    locale_dir: Path
    domain: str
    files: dict[str, Path]


def find_catalogs(root: Path) -> list[CatalogSet]:
    locale_dirs = [root / "locale", *sorted(root.glob("loom/*/locale"))]
    sets: list[CatalogSet] = []
    for locale_dir in locale_dirs:
        if not locale_dir.is_dir():
            continue
        for domain in DOMAINS:
            files = {
                path.parent.parent.name: path
                for path in sorted(locale_dir.glob(f"*/LC_MESSAGES/{domain}.po"))
                if path.parent.parent.name in (SOURCE, TARGET)
            }
            if files:
                sets.append(CatalogSet(locale_dir=locale_dir, domain=domain, files=files))
    return sets


def entry_key(entry: polib.POEntry) -> Key:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def describe(key: Key) -> str:
    context, msgid, plural = key
    text = repr(msgid)
    if plural:
        text += f" / plural {plural!r}"
    if context:
        text += f" (context {context!r})"
    return text


def live_entries(catalog: polib.POFile) -> dict[Key, polib.POEntry]:
    return {entry_key(entry): entry for entry in catalog if not entry.obsolete}


def plural_count(catalog: polib.POFile) -> int | None:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalog.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else None


def check_translation(key: Key, entry: polib.POEntry, nplurals: int | None) -> list[str]:
    problems: list[str] = []
    if "fuzzy" in entry.flags:
        problems.append(f"fuzzy (gettext ignores it; review and remove the flag): {describe(key)}")
    allowed = set(NAMED_PLACEHOLDER.findall(entry.msgid)) | set(
        NAMED_PLACEHOLDER.findall(entry.msgid_plural or "")
    )
    if entry.msgid_plural:
        forms = entry.msgstr_plural
        expected = range(nplurals) if nplurals else sorted(forms) or [0]
        empty = [str(index) for index in expected if not forms.get(index, "").strip()]
        if empty:
            problems.append(f"empty plural form(s) {', '.join(empty)}: {describe(key)}")
        translations = [text for text in forms.values() if text]
    else:
        if not entry.msgstr.strip():
            problems.append(f"empty translation: {describe(key)}")
        translations = [entry.msgstr] if entry.msgstr else []
    for text in translations:
        used = set(NAMED_PLACEHOLDER.findall(text))
        unknown = used - allowed
        if unknown:
            problems.append(
                f"placeholder(s) {', '.join(sorted(unknown))} not in the English text: {describe(key)}"
            )
        missing = allowed - used if not entry.msgid_plural else set()
        if missing:
            problems.append(
                f"placeholder(s) {', '.join(sorted(missing))} left out: {describe(key)}"
            )
    return problems


def check_set(catalogs: CatalogSet, root: Path) -> list[str]:
    where = f"{catalogs.locale_dir.relative_to(root)} ({catalogs.domain})"
    missing_languages = [lang for lang in (SOURCE, TARGET) if lang not in catalogs.files]
    if missing_languages:
        return [f"{where}: no {', '.join(missing_languages)} catalog next to the others"]
    problems: list[str] = []
    loaded: dict[str, polib.POFile] = {}
    for lang, path in catalogs.files.items():
        try:
            loaded[lang] = polib.pofile(str(path))
        except (OSError, ValueError) as exc:
            problems.append(f"{path.relative_to(root)}: cannot be read: {exc}")
    if problems:
        return problems
    source = live_entries(loaded[SOURCE])
    target = live_entries(loaded[TARGET])
    for key in sorted(source.keys() - target.keys()):
        problems.append(f"{where}: missing from {TARGET}: {describe(key)}")
    for key in sorted(target.keys() - source.keys()):
        problems.append(f"{where}: missing from {SOURCE}: {describe(key)}")
    target_catalog = loaded[TARGET]
    if target_catalog.metadata_is_fuzzy:
        problems.append(
            f"{where}: the {TARGET} header is marked fuzzy (msgfmt then drops it, charset included); "
            "remove the '#, fuzzy' line above msgid \"\""
        )
    nplurals = plural_count(target_catalog)
    for key in sorted(target.keys() & source.keys()):
        for problem in check_translation(key, target[key], nplurals):
            problems.append(f"{where}: {TARGET}: {problem}")
    return problems


def check(root: Path) -> list[str]:
    """Every problem found under ``root``; an empty list means the catalogs agree."""
    sets = find_catalogs(root)
    if not sets:
        return [
            f"no message catalogs found under {root / 'locale'} or loom/*/locale "
            "(create them with `make messages`)"
        ]
    problems: list[str] = []
    for catalogs in sets:
        problems.extend(check_set(catalogs, root))
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve() if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems = check(root)
    if problems:
        sys.stderr.write(f"Message catalogs: {len(problems)} problem(s)\n")
        for problem in problems:
            sys.stderr.write(f"  - {problem}\n")
        return 1
    checked = ", ".join(
        f"{c.locale_dir.relative_to(root)} ({c.domain}, {len(live_entries(polib.pofile(str(c.files[SOURCE]))))} keys)"
        for c in find_catalogs(root)
    )
    sys.stdout.write(f"Message catalogs agree: {checked}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
