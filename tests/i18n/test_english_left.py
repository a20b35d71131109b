"""The detector behind test_hebrew_pages: precise about what counts as English left over."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.i18n.english_left import EnglishCatalog, mask_data, read_page, visible_text

HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
ENGLISH = """\
msgid "Home"
msgstr ""

msgid "Sign out"
msgstr ""

msgid "Loom"
msgstr ""

msgid "Welcome, %(name)s"
msgstr ""

msgid "%(name)s was archived."
msgstr ""

msgid "Read the <a href=\\"%(url)s\\">privacy policy</a> first."
msgstr ""

msgid "%(count)s client"
msgid_plural "%(count)s clients"
msgstr[0] ""
msgstr[1] ""

msgid "%(browser)s, %(system)s"
msgstr ""

msgid "English"
msgstr ""
"""
HEBREW = """\
msgid "Home"
msgstr "בית"

msgid "Sign out"
msgstr "יציאה"

msgid "Loom"
msgstr "Loom"

msgid "Welcome, %(name)s"
msgstr "ברוך בואך, %(name)s"

msgid "%(name)s was archived."
msgstr ""

msgid "Read the <a href=\\"%(url)s\\">privacy policy</a> first."
msgstr "כדאי לקרוא קודם את <a href=\\"%(url)s\\">מדיניות הפרטיות</a>."

msgid "%(count)s client"
msgid_plural "%(count)s clients"
msgstr[0] "לקוח אחד"
msgstr[1] "%(count)s לקוחות"

msgid "%(browser)s, %(system)s"
msgstr "%(browser)s, %(system)s"

msgid "English"
msgstr "אנגלית"
"""


@pytest.fixture
def catalog(tmp_path: Path) -> EnglishCatalog:
    en = tmp_path / "en.po"
    he = tmp_path / "he.po"
    en.write_text(HEADER + ENGLISH, encoding="utf-8")
    he.write_text(HEADER + HEBREW, encoding="utf-8")
    return EnglishCatalog(en, he)


def page(body: str) -> str:
    return f'<!doctype html><html lang="he" dir="rtl"><head><title>בית</title></head><body>{body}</body></html>'


def found(catalog: EnglishCatalog, body: str, data: tuple[str, ...] = ()) -> list[str]:
    return [msgid for msgid, _match in catalog.find(mask_data(visible_text(page(body)), data))]


def test_untranslated_msgid_in_the_text_is_found(catalog: EnglishCatalog) -> None:
    assert found(catalog, "<nav><a href='/'>Home</a></nav>") == ["Home"]


def test_english_in_shown_attributes_is_found(catalog: EnglishCatalog) -> None:
    assert found(catalog, '<button aria-label="Sign out">⎋</button>') == ["Sign out"]
    assert found(catalog, '<input type="submit" value="Sign out">') == ["Sign out"]
    assert found(catalog, '<td data-label="Home">1</td>') == ["Home"]


def test_hebrew_text_passes(catalog: EnglishCatalog) -> None:
    assert found(catalog, "<h1>ברוך בואך, דנה</h1><a href='/'>בית</a>") == []


def test_msgids_translated_as_themselves_are_allowed(catalog: EnglishCatalog) -> None:
    assert found(catalog, "<span class='brand'>Loom</span> <p>Chrome, Linux</p>") == []


def test_a_word_inside_a_longer_word_is_not_a_match(catalog: EnglishCatalog) -> None:
    assert found(catalog, "<p>Homework, HomeSign outside</p>") == []


def test_placeholders_match_any_text_and_names_are_not_english(catalog: EnglishCatalog) -> None:
    assert found(catalog, "<h1>Welcome, Dana Levi</h1>", ("Dana Levi",)) == ["Welcome, %(name)s"]
    assert found(catalog, "<p>Avi Mizrahi was archived.</p>", ("Avi Mizrahi",)) == [
        "%(name)s was archived."
    ]
    assert found(catalog, "<p>3 clients</p>") == ["%(count)s clients"]


def test_people_emails_urls_and_time_zones_do_not_trigger(catalog: EnglishCatalog) -> None:
    data = ("Home Sweet", "Sign Outerman")
    body = (
        "<p>Home Sweet · Sign Outerman</p><p>home@example.com</p>"
        "<p>https://example.com/Home</p><p>America/New_York · UTC</p>"
    )
    assert found(catalog, body, data) == []


def test_msgid_with_markup_is_found_across_inline_elements(catalog: EnglishCatalog) -> None:
    body = '<p>Read the <a href="/legal/privacy/">privacy policy</a> first.</p>'
    assert found(catalog, body) == ['Read the <a href="%(url)s">privacy policy</a> first.']


def test_matches_do_not_run_across_blocks(catalog: EnglishCatalog) -> None:
    assert found(catalog, "<p>Welcome,</p><p>Dana</p>") == []


@pytest.mark.parametrize(
    "body",
    [
        '<button lang="en" class="button">English</button>',
        "<code>Home</code>",
        "<pre>Sign out</pre>",
        "<script nonce='x'>const label = 'Home';</script>",
        "<style>.Home{}</style>",
        '<div lang="en-GB"><p>Home</p></div>',
    ],
)
def test_scripts_code_and_elements_marked_english_are_skipped(
    catalog: EnglishCatalog, body: str
) -> None:
    assert found(catalog, body) == []


def test_html_lang_and_dir_are_read() -> None:
    parsed = read_page(page("<p>בית</p>"))
    assert (parsed.html_lang, parsed.html_dir) == ("he", "rtl")
    assert parsed.text.splitlines() == ["בית", "בית"]


def test_the_documents_own_language_does_not_hide_it(catalog: EnglishCatalog) -> None:
    text = visible_text('<html lang="en" dir="ltr"><body><p>Home</p></body></html>')
    assert [msgid for msgid, _ in catalog.find(text)] == ["Home"]


def test_latin_words_the_hebrew_translations_use_are_not_english(tmp_path: Path) -> None:
    en = tmp_path / "en.po"
    he = tmp_path / "he.po"
    en.write_text(
        HEADER + 'msgid "SMS"\nmsgstr ""\n\nmsgid "Text me an SMS code"\nmsgstr ""\n',
        encoding="utf-8",
    )
    he.write_text(
        HEADER
        + 'msgid "SMS"\nmsgstr "מסרון"\n\nmsgid "Text me an SMS code"\nmsgstr "שליחת קוד SMS"\n',
        encoding="utf-8",
    )
    catalog = EnglishCatalog(en, he)
    assert catalog.find("שליחת קוד SMS") == []
    assert [msgid for msgid, _ in catalog.find("Text me an SMS code")] == ["Text me an SMS code"]
