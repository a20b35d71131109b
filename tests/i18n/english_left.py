"""Finding English catalog strings left in a page that should be Hebrew.

* ``visible_text(html)`` returns what a reader (or a screen reader) gets from a page:
  text nodes, the ``<title>``, and the attributes that are shown or announced (``alt``,
  ``title``, ``placeholder``, ``aria-label``, ``data-label``, button values …). Scripts,
  styles, ``<code>``/``<kbd>``/``<samp>``/``<pre>`` and every element marked
  ``lang="en…"`` (the language switcher's "English" button) are left out. Block
  boundaries become newlines, so a match never runs from one paragraph into the next.
* ``EnglishCatalog`` holds the msgids of ``locale/en/…/django.po`` whose Hebrew
  translation differs from the English (brand names translated as themselves are
  allowed), each compiled to a pattern: placeholders match any text on the line,
  HTML inside a msgid matches optional whitespace, and Latin letters may not touch the
  match on either side ("Home" does not match "Homework").
* ``mask_data(text, values)`` blanks out data that is legitimately Latin in a Hebrew
  page — people's names and emails from the test data, email addresses, URLs and IANA
  time-zone names — before matching, so they cannot trigger a false alarm.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parent.parent.parent
EN_CATALOG = REPO / "locale" / "en" / "LC_MESSAGES" / "django.po"
HE_CATALOG = REPO / "locale" / "he" / "LC_MESSAGES" / "django.po"

EXCLUDED_ELEMENTS = frozenset({"script", "style", "code", "kbd", "samp", "pre", "noscript"})
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
# Inline elements do not break a sentence; every other element starts a new line.
INLINE_ELEMENTS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "data",
        "dfn",
        "em",
        "i",
        "mark",
        "q",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
    }
)
SHOWN_ATTRIBUTES = (
    "alt",
    "title",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "data-label",
    "label",
)
BUTTON_INPUT_TYPES = frozenset({"submit", "button", "reset"})

LATIN = "A-Za-z"
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[sdifgeExXrcou]|%[sdif]|\{\w*\}")
TAG = re.compile(r"<[^>]+>")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"(?:https?://|www\.)\S+|(?<!\w)/[\w\-./?=&%#]+")
TIME_ZONE = re.compile(
    r"\b(?:[A-Z][A-Za-z_]+/)+[A-Za-z0-9_+\-]+\b|\b(?:UTC|GMT)(?:[+-]\d{1,2}(?::\d\d)?)?\b"
)
MASK = " \u2022 "
MIN_LETTERS_WITH_PLACEHOLDERS = 4


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # (tag, excluded) for each open element; excluded subtrees add no text.
        self.stack: list[tuple[str, bool]] = []
        self.html_attributes: dict[str, str | None] | None = None

    @property
    def excluded(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html" and self.html_attributes is None:
            self.html_attributes = attributes
        # The document's own language is what is being checked; only parts marked as
        # English inside it (the switcher's "English") are English on purpose.
        lang = (attributes.get("lang") or "").lower() if tag != "html" else ""
        excluded = (
            self.excluded or tag in EXCLUDED_ELEMENTS or lang == "en" or lang.startswith("en-")
        )
        if tag not in INLINE_ELEMENTS:
            self.parts.append("\n")
        if not excluded:
            shown = [attributes.get(name) for name in SHOWN_ATTRIBUTES]
            if tag == "input" and (attributes.get("type") or "").lower() in BUTTON_INPUT_TYPES:
                shown.append(attributes.get("value"))
            if tag == "meta" and (attributes.get("name") or "").lower() == "description":
                shown.append(attributes.get("content"))
            for value in shown:
                if value:
                    self.parts.append(f"\n{value}\n")
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, excluded))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        # Tolerate mis-nesting: close up to the nearest open element of this name.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break
        if tag not in INLINE_ELEMENTS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.excluded:
            self.parts.append(data)


@dataclass(frozen=True)
class Page:
    text: str
    html_lang: str | None
    html_dir: str | None


def read_page(markup: str) -> Page:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    text = "\n".join(line for line in lines if line)
    attributes = parser.html_attributes or {}
    return Page(text=text, html_lang=attributes.get("lang"), html_dir=attributes.get("dir"))


def visible_text(markup: str) -> str:
    return read_page(markup).text


def mask_data(text: str, values: Iterable[str] = ()) -> str:
    """Blank out emails, URLs, time-zone names and the given data values (whole words)."""
    for pattern in (EMAIL, URL, TIME_ZONE):
        text = pattern.sub(MASK, text)
    # Longest first, so "Dana Levi coaching" goes before "Dana Levi".
    for value in sorted(
        {v.strip() for v in values if v and len(v.strip()) >= 2}, key=len, reverse=True
    ):
        text = re.sub(rf"(?<![{LATIN}]){re.escape(value)}(?![{LATIN}])", MASK, text)
    return text


@dataclass(frozen=True)
class Msgid:
    text: str
    pattern: re.Pattern[str]
    # The longest literal piece: a cheap substring test before the regex runs.
    anchor: str


def _compile(msgid: str) -> Msgid | None:
    pieces: list[str] = []
    literals: list[str] = []
    for index, chunk in enumerate(TAG.split(msgid)):
        if index:
            pieces.append(r"\s*")
        for position, literal in enumerate(PLACEHOLDER.split(chunk.replace("%%", "%"))):
            if position:
                pieces.append(r"[^\n]{1,80}?")
            literal = html.unescape(literal)
            words = literal.split()
            if not words:
                if literal:
                    pieces.append(" ?")
                continue
            # Page lines have their whitespace collapsed to single spaces; only markup
            # inside a msgid (above) may stand for a line break. A space next to a
            # placeholder is required, so " on " cannot match inside "continues".
            lead = " " if literal[0].isspace() else ""
            trail = " " if literal[-1].isspace() else ""
            pieces.append(lead + " ".join(re.escape(word) for word in words) + trail)
            literals.append(" ".join(words))
    latin_letters = len(re.findall(f"[{LATIN}]", "".join(literals)))
    if not latin_letters:
        return None
    # "%(delta)s ago" or "in %(delta)s" would match ordinary data ("in English"); such
    # fragments are left to the catalog check, which fails on any untranslated entry.
    if PLACEHOLDER.search(msgid) and latin_letters < MIN_LETTERS_WITH_PLACEHOLDERS:
        return None
    body = "".join(pieces)
    stripped = TAG.sub("", msgid)
    before = rf"(?<![{LATIN}])" if re.match(f"[{LATIN}]", stripped) else ""
    after = rf"(?![{LATIN}])" if re.search(f"[{LATIN}]$", stripped) else ""
    anchor = max((word for literal in literals for word in literal.split()), key=len)
    return Msgid(text=msgid, pattern=re.compile(before + body + after), anchor=anchor)


class EnglishCatalog:
    """The English msgids a Hebrew page must not show."""

    def __init__(self, en_path: Path = EN_CATALOG, he_path: Path = HE_CATALOG) -> None:
        english = polib.pofile(str(en_path))
        hebrew = {
            (entry.msgctxt, entry.msgid): entry
            for entry in (polib.pofile(str(he_path)) if he_path.exists() else [])
            if not entry.obsolete
        }
        # Latin words the Hebrew translations use themselves ("Loom", "SMS", "JPEG"):
        # seeing only those in a Hebrew page is not English left over.
        self.hebrew_latin_words = {
            word
            for entry in hebrew.values()
            for text in [entry.msgstr, *entry.msgstr_plural.values()]
            for word in re.findall(f"[{LATIN}]+", TAG.sub(" ", PLACEHOLDER.sub(" ", text)))
        }
        texts: set[str] = set()
        for entry in english:
            if entry.obsolete:
                continue
            translated = hebrew.get((entry.msgctxt, entry.msgid))
            for text in (entry.msgid, entry.msgid_plural):
                if text and not self._translated_as_itself(text, translated):
                    texts.add(text)
        self.msgids = [m for m in (_compile(text) for text in sorted(texts)) if m is not None]

    def _hebrew_words_only(self, seen: str) -> bool:
        return set(re.findall(f"[{LATIN}]+", seen)) <= self.hebrew_latin_words

    @staticmethod
    def _translated_as_itself(text: str, entry: polib.POEntry | None) -> bool:
        if entry is None or "fuzzy" in entry.flags:
            return False
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        return bool(translations) and all(t == text for t in translations)

    def find(self, text: str) -> list[tuple[str, str]]:
        """(msgid, the text it matched) for every English msgid present in ``text``.

        A match inside a longer match is not reported on its own: an untranslated
        sentence is one finding, not one per catalog word it happens to contain.
        """
        matches: list[tuple[int, int, str, str]] = []
        for msgid in self.msgids:
            if msgid.anchor not in text:
                continue
            matches += [
                (m.start(), m.end(), msgid.text, m.group(0)) for m in msgid.pattern.finditer(text)
            ]
        matches = [m for m in matches if not self._hebrew_words_only(m[3])]
        found: dict[str, str] = {}
        for start, end, msgid_text, seen in matches:
            covered = any(
                s <= start and end <= e and (e - s) > (end - start) for s, e, _m, _seen in matches
            )
            if not covered:
                found.setdefault(msgid_text, seen)
        return sorted(found.items())
