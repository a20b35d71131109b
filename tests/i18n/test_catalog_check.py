"""scripts/check_catalogs.py: the en and he catalogs must agree and Hebrew must be complete."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
SCRIPT = REPO / "scripts" / "check_catalogs.py"

HEADER = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: {lang}\\n"
"Plural-Forms: {plural}\\n"

"""
EN_PLURAL = "nplurals=2; plural=(n != 1);"
HE_PLURAL = "nplurals=3; plural=(n == 1) ? 0 : ((n == 2) ? 1 : 2);"

EN_ENTRIES = """\
msgid "Clients"
msgstr ""

msgctxt "verb"
msgid "Archive"
msgstr ""

#, python-format
msgid "Welcome, %(name)s"
msgstr ""

#, python-format
msgid "%(count)s client"
msgid_plural "%(count)s clients"
msgstr[0] ""
msgstr[1] ""
"""

HE_ENTRIES = """\
msgid "Clients"
msgstr "לקוחות"

msgctxt "verb"
msgid "Archive"
msgstr "העברה לארכיון"

#, python-format
msgid "Welcome, %(name)s"
msgstr "ברוך בואך, %(name)s"

#, python-format
msgid "%(count)s client"
msgid_plural "%(count)s clients"
msgstr[0] "לקוח אחד"
msgstr[1] "שני לקוחות"
msgstr[2] "%(count)s לקוחות"
"""


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_catalogs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the class is being built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check_catalogs = load_script()


def write_catalog(
    root: Path, lang: str, body: str, *, domain: str = "django", base: str = "locale"
) -> Path:
    path = root / base / lang / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    plural = EN_PLURAL if lang == "en" else HE_PLURAL
    path.write_text(HEADER.format(lang=lang, plural=plural) + body, encoding="utf-8")
    return path


def write_pair(root: Path, en: str = EN_ENTRIES, he: str = HE_ENTRIES, **kwargs: str) -> None:
    write_catalog(root, "en", en, **kwargs)
    write_catalog(root, "he", he, **kwargs)


def problems(root: Path) -> list[str]:
    return list(check_catalogs.check(root))


def test_matching_complete_catalogs_pass(tmp_path: Path) -> None:
    write_pair(tmp_path)
    write_pair(tmp_path, domain="djangojs")
    assert problems(tmp_path) == []


def test_script_exits_zero_on_agreeing_catalogs_and_one_otherwise(tmp_path: Path) -> None:
    write_pair(tmp_path)
    ok = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert "4 keys" in ok.stdout
    write_catalog(tmp_path, "he", HE_ENTRIES.replace('msgstr "לקוחות"', 'msgstr ""'))
    failed = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert "empty translation: 'Clients'" in failed.stderr


def test_no_catalogs_at_all_fails(tmp_path: Path) -> None:
    (tmp_path / "locale").mkdir()
    assert [p for p in problems(tmp_path) if "no message catalogs found" in p]


def test_key_missing_from_hebrew_fails(tmp_path: Path) -> None:
    write_pair(tmp_path, en=EN_ENTRIES + '\nmsgid "Invite a client"\nmsgstr ""\n')
    assert problems(tmp_path) == ["locale (django): missing from he: 'Invite a client'"]


def test_key_missing_from_english_fails(tmp_path: Path) -> None:
    write_pair(tmp_path, he=HE_ENTRIES + '\nmsgid "Sessions"\nmsgstr "פגישות"\n')
    assert problems(tmp_path) == ["locale (django): missing from en: 'Sessions'"]


def test_context_is_part_of_the_key(tmp_path: Path) -> None:
    he = HE_ENTRIES.replace('msgctxt "verb"\n', 'msgctxt "noun"\n')
    write_pair(tmp_path, he=he)
    found = problems(tmp_path)
    assert "locale (django): missing from he: 'Archive' (context 'verb')" in found
    assert "locale (django): missing from en: 'Archive' (context 'noun')" in found


def test_plural_msgid_is_part_of_the_key(tmp_path: Path) -> None:
    he = HE_ENTRIES.replace('msgid_plural "%(count)s clients"', 'msgid_plural "%(count)s people"')
    write_pair(tmp_path, he=he)
    assert any(
        "missing from he: '%(count)s client' / plural '%(count)s clients'" in p
        for p in problems(tmp_path)
    )


def test_empty_hebrew_translation_fails(tmp_path: Path) -> None:
    write_pair(tmp_path, he=HE_ENTRIES.replace('msgstr "העברה לארכיון"', 'msgstr ""'))
    assert problems(tmp_path) == [
        "locale (django): he: empty translation: 'Archive' (context 'verb')"
    ]


def test_empty_hebrew_plural_form_fails(tmp_path: Path) -> None:
    write_pair(tmp_path, he=HE_ENTRIES.replace('msgstr[1] "שני לקוחות"', 'msgstr[1] ""'))
    assert problems(tmp_path) == [
        "locale (django): he: empty plural form(s) 1: '%(count)s client' / plural '%(count)s clients'"
    ]


def test_missing_hebrew_plural_form_fails(tmp_path: Path) -> None:
    write_pair(tmp_path, he=HE_ENTRIES.replace('msgstr[2] "%(count)s לקוחות"\n', ""))
    assert any("empty plural form(s) 2" in p for p in problems(tmp_path))


def test_fuzzy_hebrew_entry_fails(tmp_path: Path) -> None:
    write_pair(tmp_path, he=HE_ENTRIES.replace('msgid "Clients"', '#, fuzzy\nmsgid "Clients"'))
    assert problems(tmp_path) == [
        "locale (django): he: fuzzy (gettext ignores it; review and remove the flag): 'Clients'"
    ]


def test_fuzzy_hebrew_header_fails(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, "he", HE_ENTRIES)
    write_catalog(tmp_path, "en", EN_ENTRIES)
    path.write_text("#, fuzzy\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert [p for p in problems(tmp_path) if "header is marked fuzzy" in p]


def test_unknown_or_dropped_placeholder_fails(tmp_path: Path) -> None:
    write_pair(tmp_path, he=HE_ENTRIES.replace("ברוך בואך, %(name)s", "ברוך בואך, %(user)s"))
    found = problems(tmp_path)
    assert any("placeholder(s) user not in the English text" in p for p in found)
    assert any("placeholder(s) name left out" in p for p in found)


def test_obsolete_entries_are_ignored(tmp_path: Path) -> None:
    write_pair(tmp_path, he=HE_ENTRIES + '\n#~ msgid "Old string"\n#~ msgstr ""\n')
    assert problems(tmp_path) == []


def test_app_catalogs_and_javascript_domain_are_checked(tmp_path: Path) -> None:
    write_pair(tmp_path)
    write_catalog(tmp_path, "en", EN_ENTRIES, domain="djangojs")
    write_pair(
        tmp_path,
        base="loom/scheduling/locale",
        he=HE_ENTRIES.replace('msgstr "לקוחות"', 'msgstr ""'),
    )
    assert sorted(problems(tmp_path)) == [
        "locale (djangojs): no he catalog next to the others",
        "loom/scheduling/locale (django): he: empty translation: 'Clients'",
    ]


@pytest.mark.parametrize("lang", ["fr", "en_GB"])
def test_other_languages_are_not_compared(tmp_path: Path, lang: str) -> None:
    write_pair(tmp_path)
    write_catalog(tmp_path, lang, 'msgid "Only here"\nmsgstr ""\n')
    assert problems(tmp_path) == []
