"""A replica's kept pages are shown no longer than the freshness they state (数据截至…)."""

from __future__ import annotations

import time

from projections.web.page_cache import PageCache, Rendered

PAGE = Rendered(b"<p>page</p>", '"etag"')


def test_without_an_age_a_page_is_kept_while_the_state_lasts() -> None:
    cache = PageCache()
    cache.keep("/announcements", (7, 1), PAGE)
    assert cache.page("/announcements", (7, 1)) == PAGE
    assert cache.page("/announcements", (8, 1)) is None  # a newer position drops it


def test_with_an_age_a_page_older_than_it_is_rendered_again() -> None:
    cache = PageCache(max_age=1e-6)
    cache.keep("/announcements", (7, 1), PAGE)
    kept_at = time.monotonic()
    while time.monotonic() - kept_at <= 1e-6:  # the clock moves on past the age
        pass
    assert cache.page("/announcements", (7, 1)) is None


def test_a_recent_page_is_answered_from_memory() -> None:
    cache = PageCache(max_age=3600)
    cache.keep("/announcements/7", (7, 1), PAGE)
    assert cache.page("/announcements/7", (7, 1)) == PAGE
