"""Message text to safe HTML: light markdown, then an allowlist sanitizer.

Two independent layers, so a gap in one is caught by the other:

* markdown-it-py in its CommonMark preset with raw HTML disabled (``<script>`` typed in
  a message is shown as text) and its own link validation (no ``javascript:``,
  ``vbscript:``, ``file:`` or non-image ``data:`` URLs);
* nh3 (ammonia) with a short allowlist of tags, only ``href`` on links, and only the
  ``http``, ``https`` and ``mailto`` schemes; relative links are dropped as well, since a
  message has no page of its own to be relative to.

Images are not part of the allowlist: ``![x](…)`` would load a third-party URL in the
reader's browser (a tracking pixel); they are rendered as their alt text.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "code", "pre", "blockquote", "del"}
)
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"


def _image_as_text(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # An image becomes its alt text: no request leaves the reader's browser for it.
    return escapeHtml(self.renderInlineAsText(tokens[idx].children or [], options, env))


def _del_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "<del>"


def _del_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</del>"


@cache
def _parser() -> MarkdownIt:
    # Strikethrough is the one extension people expect in chat (~~text~~ → <del>).
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")
    parser.add_render_rule("image", _image_as_text)
    parser.add_render_rule("s_open", _del_open)
    parser.add_render_rule("s_close", _del_close)
    return parser


def render_markdown(text: str) -> str:
    """Render ``text`` (a message body) to sanitized HTML. Empty text gives ``""``."""
    if not text or not text.strip():
        return ""
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        set_tag_attribute_values={"a": {"target": "_blank"}},
        link_rel=LINK_REL,
        url_schemes=set(ALLOWED_SCHEMES),
        url_relative="deny",
        strip_comments=True,
    ).strip()
