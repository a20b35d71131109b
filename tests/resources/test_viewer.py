"""The shared viewer partial (resources/_viewer.html): one rendering per kind."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import RequestFactory

from loom.resources.models import ResourceKind
from loom.resources.selectors import ResourceAccess
from tests.resources import media
from tests.resources.factories import make_resource
from tests.resources.test_progress import make_video

pytestmark = pytest.mark.django_db


def render(resource, *, can_download=True, progress_url=None, is_owner=False) -> str:
    request = RequestFactory().get("/")
    return render_to_string(
        "resources/_viewer.html",
        {
            "resource": resource,
            "access": ResourceAccess(
                resource=resource, is_owner=is_owner, can_download=can_download
            ),
            "file_url": f"/resources/{resource.pk}/file/",
            "progress_url": progress_url,
            "csp_nonce": "n0nce",
        },
        request=request,
    )


def test_a_pdf_gets_pdfjs_with_a_plain_link_fallback(world):
    html = render(make_resource(world.dana, title="Plan"))
    assert "data-pdf-viewer" in html
    assert 'data-url="/resources/' in html
    assert "vendor/pdfjs/pdf.min.mjs" in html and "vendor/pdfjs/pdf.worker.min.mjs" in html
    assert "Open the PDF" in html
    assert "Previous page" in html and "Next page" in html
    assert 'aria-live="polite"' in html
    assert "js/pdf-viewer.js" in html and 'nonce="n0nce"' in html


def test_an_image_uses_the_title_as_alt_text(world):
    image = make_resource(world.dana, kind=ResourceKind.IMAGE, title='Chart "one" <b>')
    html = render(image)
    assert 'alt="Chart &quot;one&quot; &lt;b&gt;"' in html
    assert 'dir="auto"' in html


def test_video_with_captions(world):
    video = make_video(world.dana, title="Stretch")
    video.captions.save("captions.vtt", ContentFile(media.vtt_text()), save=False)
    video.captions_language = "he"
    video.save()
    html = render(video, progress_url="/client/resources/1/progress/")
    assert "<video" in html and "controls" in html and 'preload="metadata"' in html
    assert '<track kind="captions"' in html and 'srclang="he"' in html and "default" in html
    assert 'data-progress-url="/client/resources/1/progress/"' in html
    assert "Back 10 seconds" in html and "Forward 10 seconds" in html
    assert '<label class="field-label" for="media-speed-' in html


def test_a_coach_preview_reports_nothing(world):
    audio = make_resource(
        world.dana,
        kind=ResourceKind.AUDIO,
        title="Calm",
        content=media.mp3_bytes(),
        file_kind="mp3",
        content_type="audio/mpeg",
    )
    html = render(audio, is_owner=True)
    assert "<audio" in html and 'preload="metadata"' in html
    assert "data-progress-url" not in html
    assert "<track" not in html


def test_text_is_shown_escaped_never_rendered(world):
    text = make_resource(
        world.dana,
        kind=ResourceKind.TEXT,
        title="Notes",
        content=b"# Breathe\n<script>alert(1)</script>\n",
    )
    html = render(text)
    assert '<pre class="resource-text"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html


def test_a_link_opens_in_a_new_tab_safely(world):
    link = make_resource(
        world.dana, kind=ResourceKind.LINK, title="Article", url="https://example.com/a?b=1&c=2"
    )
    html = render(link)
    assert 'href="https://example.com/a?b=1&amp;c=2"' in html
    assert 'rel="noopener noreferrer"' in html and 'target="_blank"' in html
    assert "(opens in a new tab)" in html
    assert "?download=1" not in html


def test_office_documents_download_or_explain(world):
    office = make_resource(
        world.dana,
        title="Budget",
        content=media.docx_bytes(),
        file_kind="docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    assert "?download=1" in render(office)
    view_only = render(office, can_download=False)
    assert "?download=1" not in view_only
    assert "ask them for a copy" in view_only
