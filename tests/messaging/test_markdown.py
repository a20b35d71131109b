"""The message renderer: light markdown in, an allowlisted HTML fragment out."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from loom.core.markdown import ALLOWED_TAGS, render_markdown
from tests.messaging.xss_corpus import PAYLOADS

SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def test_corpus_is_large_enough() -> None:
    assert len(PAYLOADS) >= 30
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_inert(payload: str) -> None:
    html = render_markdown(payload)
    parsed = _parse(html)
    assert not parsed.comments
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (payload, html)
        names = {name for name, _value in attrs}
        if tag == "a":
            assert names <= {"href", "target", "rel"}, (payload, html)
            href = dict(attrs).get("href")
            if href is not None:
                assert href.startswith(SAFE_SCHEMES), (payload, html)
        else:
            assert not names, (payload, html)
    lowered = html.lower()
    for marker in ("<script", "<img", "<iframe", "<svg", "<style", "<object", "<embed", "<form"):
        assert marker not in lowered, (payload, html)


def test_light_formatting_is_kept() -> None:
    html = render_markdown("**bold** _it_ ~~gone~~ `code`\n\n- one\n- two\n\n1. first\n\n> quoted")
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<del>gone</del>" in html
    assert "<code>code</code>" in html
    assert "<ul>" in html and "<li>one</li>" in html
    assert "<ol>" in html
    assert "<blockquote>" in html


def test_links_open_safely() -> None:
    html = render_markdown("[site](https://example.com/a?b=1) and [mail](mailto:dana@example.com)")
    assert (
        '<a href="https://example.com/a?b=1" target="_blank" rel="nofollow noopener noreferrer">'
        "site</a>"
    ) in html
    assert 'href="mailto:dana@example.com"' in html


def test_relative_and_unknown_scheme_links_lose_their_target() -> None:
    for text in ("[x](/account/)", "[x](ftp://example.com/f)", "[x](//evil.example/)"):
        assert "href" not in render_markdown(text)


def test_images_become_their_alt_text() -> None:
    assert render_markdown("![a <b>calm</b> lake](https://example.com/p.png)") == (
        "<p>a &lt;b&gt;calm&lt;/b&gt; lake</p>"
    )


def test_raw_html_is_shown_as_text() -> None:
    assert render_markdown("<b>hi</b>") == "<p>&lt;b&gt;hi&lt;/b&gt;</p>"


def test_hebrew_and_line_breaks() -> None:
    html = render_markdown("שלום **דנה**\nשורה שנייה")
    assert "<strong>דנה</strong>" in html
    assert "שורה שנייה" in html


def test_blank_text_renders_empty() -> None:
    assert render_markdown("") == ""
    assert render_markdown("  \n ") == ""
