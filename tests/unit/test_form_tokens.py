"""The lookup form's double-submit tokens: only our own, unexpired token, the same in the
cookie and the form, lets a post through."""

from __future__ import annotations

import pytest

from projections.web.form_tokens import TOKEN_SECONDS, FormTokens

KEY = bytes(range(32))


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_same_token_in_cookie_and_form_passes_until_it_expires() -> None:
    clock = Clock()
    tokens = FormTokens(KEY, clock)
    token = tokens.issue()
    assert tokens.check(token, token)
    # Any process with the same key accepts it: nothing is kept per token.
    assert FormTokens(KEY, clock).check(token, token)
    clock.now += TOKEN_SECONDS
    assert tokens.check(token, token)
    clock.now += 1
    assert not tokens.check(token, token)


def test_a_missing_different_forged_or_foreign_token_fails() -> None:
    tokens = FormTokens(KEY, Clock())
    token, other = tokens.issue(), tokens.issue()
    assert token != other
    assert not tokens.check(None, token)  # no cookie: a post from another site
    assert not tokens.check(token, None)  # no field
    assert not tokens.check(token, "")
    assert not tokens.check(token, "令牌" * 40)  # not even ASCII
    assert not tokens.check(token, other)  # both ours, but not a pair
    foreign = FormTokens(bytes(32), Clock()).issue()
    assert not tokens.check(foreign, foreign)  # another server's key
    body, _, mac = token.rpartition(".")
    later = body.replace(body.split(".")[1], str(int(body.split(".")[1]) + 10**6))
    assert not tokens.check(f"{later}.{mac}", f"{later}.{mac}")  # a forged expiry
    for junk in ("v1", "x" * 80, "令牌", token + "A"):
        assert not tokens.check(junk, junk)


def test_a_page_reuses_a_fresh_cookie_token_so_open_tabs_stay_valid() -> None:
    clock = Clock()
    tokens = FormTokens(KEY, clock)
    token = tokens.issue()
    assert tokens.for_page(token) == token
    clock.now += TOKEN_SECONDS / 2 + 1  # past half its life: a page gets a new one
    renewed = tokens.for_page(token)
    assert renewed != token and tokens.check(renewed, renewed)
    assert tokens.for_page(None) != tokens.for_page("forged")


def test_a_key_too_short_is_refused() -> None:
    with pytest.raises(ValueError):
        FormTokens(b"short")
