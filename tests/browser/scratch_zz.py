# ruff: noqa
import os

import pytest

from tests.browser import support

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["1280"])
def test_scratch(page):
    for path in os.environ.get("SCRATCH_PATHS", "/").split(","):
        page.goto(path)
        print("\n=====", path, page.url)
        print(support._page_errors[page])
        support._page_errors[page].clear()
        print(page.locator(os.environ.get("SCRATCH_SEL", "main")).first.inner_html())
