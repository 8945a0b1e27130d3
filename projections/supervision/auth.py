"""Inspector sign-in 监督人员登录: a signed challenge in, a short-lived session token out.

No password is stored anywhere. An inspector proves who it is with the Ed25519 key the
finance office registered in the log:

1. ``GET /supervision/challenge`` gives a random challenge with its expiry, MAC'd with a
   server key, so nothing is kept per challenge (any process sharing the data directory
   can check it);
2. the inspector signs a ``SignIn`` request (the envelope of ``POST /commands``) whose
   payload is ``{"challenge": …}`` and posts it to ``POST /supervision/session``; it is
   checked as every signed request is (``ledger.signed_requests``: the key read afresh, so
   a revocation by another process counts, the signature, a few minutes' freshness, used
   once), then the challenge's MAC and expiry, and only the inspector role 纪检监察 / 审计 /
   检察院 is let in;
3. the answer is a JWT (PyJWT, HS256, 15 minutes) both as an HttpOnly, SameSite=Strict
   cookie scoped to ``/supervision`` and in the JSON body for ``Authorization: Bearer``.

``require_inspector`` guards every supervisory route. It re-reads the signing key on each
request (one indexed read), so a key revoked in the log ends the session at once. The
signing secrets are derived from ``<data dir>/session-key`` (32 random bytes, made on first
start, mode 0600). Used challenges and signed-out sessions are remembered in the database
(``projections.supervision.spent``), so every process of the service knows them, until they
would have expired anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, Protocol

import jwt
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from ledger.domain import fields
from ledger.domain.errors import LedgerError, RevokedKey, UnknownKey
from ledger.domain.registry import Actor, Organisation, Role
from ledger.signed_requests import CurrentKeys, SignedRequest, SignedRequests, current_key
from projections.supervision.spent import Spent, SpentInMemory
from projections.web.render import ENV, wants_html

logger = logging.getLogger("sunshine.supervision")

SESSION_SECONDS: Final = 15 * 60
CHALLENGE_SECONDS: Final = 5 * 60
COOKIE: Final = "sunshine_supervision"
COOKIE_PATH: Final = "/supervision"
AUDIENCE: Final = "sunshine-supervision"
ALGORITHM: Final = "HS256"
KEY_BYTES: Final = 32
MAX_TOKEN_CHARS: Final = 4096  # ours are ~400; anything far longer is not one of ours
SIGN_IN: Final = "SignIn"
_CHALLENGE: Final = re.compile(r"v1\.([0-9]{10})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})\Z")


@dataclass(frozen=True)
class Purpose:
    """What a set of sessions is for: the supervisory views (15 minutes, inspectors only)
    or the officials' workbench (a working day). Each purpose derives its own keys from the
    one server secret and names its own audience, so a token of one never opens the other."""

    name: str  # the label the keys are derived under
    audience: str
    seconds: int  # how long a session lasts
    cookie: str
    path: str  # the cookie's path: the pages it is sent to


SUPERVISION: Final = Purpose("supervision", AUDIENCE, SESSION_SECONDS, COOKIE, COOKIE_PATH)


@dataclass(frozen=True)
class Inspector:
    """Who is signed in: an actor and its organisation (an inspector on the supervisory
    views; any official on the workbench)."""

    actor: str
    organisation: str
    key: str = ""  # the Ed25519 key id it signed in with
    session: str = ""  # the token's jti
    expires_at: int = 0  # Unix seconds
    name: str = ""  # the actor's registered name, as the pages greet it
    organisation_name: str = ""  # its organisation's registered name
    role: str = ""  # the role its key was registered with

    @property
    def greeting(self) -> str:
        """Who the pages say is signed in: 王某某（澄溪县纪委监委）, never the codes (a
        registry without the names falls back to 监督人员)."""
        who = self.name or ("监督人员" if self.role in ("", Role.INSPECTOR.value) else "登记人员")
        return f"{who}（{self.organisation_name}）" if self.organisation_name else who


class InspectorRegistry(CurrentKeys, Protocol):
    """The registry as the sign-in check reads it: keys afresh, and the names to greet by."""

    def actor(self, code: str) -> Actor | None: ...

    def organisation(self, code: str) -> Organisation | None: ...


class Refused(LedgerError):
    """A supervisory request refused: JSON for API clients, a Chinese page for browsers.

    ``message`` is for the API (English, like the ledger's), ``zh`` for the page; neither
    carries anything of the data behind the route."""

    def __init__(self, status: int, code: str, message: str, zh: str):
        super().__init__(message, code=code, status=status)
        self.zh = zh

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "message_zh": self.zh}


def _unauthorised(code: str, message: str, zh: str) -> Refused:
    return Refused(401, code, message, zh)


def not_signed_in() -> Refused:
    return _unauthorised(
        "not_signed_in",
        "sign in as an inspector first (GET /supervision/challenge, POST /supervision/session)",
        "请先以监督人员身份登录。",
    )


def not_an_inspector() -> Refused:
    # A fresh exception each time: a shared one would keep the last request's frames alive.
    return Refused(
        403,
        "forbidden",
        "rule supervision.inspector: supervisory views are for inspectors only",
        "监督视图仅供纪检监察、审计、检察机关的监督人员使用。",
    )


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Sessions:
    """Challenges and session tokens under one server secret; stateless but for what is
    spent (used challenges, signed-out sessions): ``spent``, the database's in the service."""

    def __init__(
        self,
        secret: bytes,
        clock: Callable[[], float] = time.time,
        spent: Spent | None = None,
        purpose: Purpose = SUPERVISION,
    ):
        if len(secret) != KEY_BYTES:
            raise ValueError(f"the session key must be {KEY_BYTES} bytes")
        # One secret, two keys per purpose: a challenge MAC can never pass for a token
        # signature, nor a workbench token for a supervisory one.
        self._challenge_key = self._derive(secret, f"{purpose.name} challenge v1")
        self._token_key = self._derive(secret, f"{purpose.name} session v1")
        self.purpose = purpose
        self.clock = clock
        self._spent = spent if spent is not None else SpentInMemory(clock)

    @staticmethod
    def _derive(secret: bytes, label: str) -> bytes:
        return hmac.new(secret, label.encode(), hashlib.sha256).digest()

    # -- challenges ---------------------------------------------------------------------

    def challenge(self) -> tuple[str, int]:
        """A fresh challenge and its expiry (Unix seconds)."""
        expires = int(self.clock()) + CHALLENGE_SECONDS
        body = f"v1.{expires:010d}.{_b64url(secrets.token_bytes(16))}"
        return f"{body}.{self._mac(body)}", expires

    def _mac(self, body: str) -> str:
        return _b64url(hmac.new(self._challenge_key, body.encode(), hashlib.sha256).digest())

    def check_challenge(self, text: object) -> int:
        """The challenge's expiry, if it is ours, unexpired and unused; else ``Refused``."""
        match = _CHALLENGE.match(text) if isinstance(text, str) else None
        body = match.group(0).rpartition(".")[0] if match else ""
        if match is None or not hmac.compare_digest(match.group(3), self._mac(body)):
            raise _unauthorised(
                "bad_challenge",
                "the challenge was not issued by this ledger; get one from "
                "GET /supervision/challenge",
                "登录挑战码无效，请重新获取。",
            )
        expires = int(match.group(1))
        if self.clock() > expires:
            raise _unauthorised(
                "expired_challenge",
                "the challenge has expired; get a new one",
                "登录挑战码已过期，请重新获取。",
            )
        return expires

    def use_challenge(self, text: str, expires: int) -> None:
        """Mark a challenge used: a signed sign-in cannot be replayed while it is valid."""
        if not self._spent.spend(f"challenge:{text}", expires):
            raise _unauthorised(
                "replayed_challenge",
                "this challenge was used already; get a new one",
                "该登录挑战码已使用过，请重新获取。",
            )

    # -- tokens -------------------------------------------------------------------------

    def issue(self, actor: str, organisation: str, role: str, key: str) -> tuple[str, Inspector]:
        """A session token for ``actor`` (its role as the log registered its key)."""
        now = int(self.clock())
        inspector = Inspector(
            actor=actor,
            organisation=organisation,
            key=key,
            session=_b64url(secrets.token_bytes(16)),
            expires_at=now + self.purpose.seconds,
            role=role,
        )
        claims = {
            "sub": inspector.actor,
            "org": inspector.organisation,
            "role": role,
            "key": inspector.key,
            "aud": self.purpose.audience,
            "iat": now,
            "nbf": now,
            "exp": inspector.expires_at,
            "jti": inspector.session,
        }
        return jwt.encode(claims, self._token_key, algorithm=ALGORITHM), inspector

    def decode(self, token: str) -> dict[str, Any]:
        """The claims of a genuine, unexpired, not signed-out token; else ``Refused`` (401)."""
        if len(token) > MAX_TOKEN_CHARS:
            raise _bad_session()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._token_key,
                algorithms=[ALGORITHM],  # never "none", never a public-key algorithm
                audience=self.purpose.audience,
                options={"require": ["sub", "org", "role", "key", "iat", "exp", "jti"]},
                # PyJWT reads the time itself; tests with a fake clock make expired tokens.
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorised(
                "expired_session",
                "the session has expired; sign in again",
                "登录已过期，请重新登录。",
            ) from None
        except jwt.InvalidTokenError:
            raise _bad_session() from None
        if not all(isinstance(claims[c], str) for c in ("sub", "org", "role", "key", "jti")):
            raise _bad_session()
        if self._spent.spent(f"session:{claims['jti']}"):
            raise _unauthorised(
                "signed_out",
                "this session was signed out; sign in again",
                "已退出登录，请重新登录。",
            )
        return claims

    def end(self, claims: dict[str, Any]) -> None:
        self._spent.spend(f"session:{claims['jti']}", int(claims["exp"]))


def _bad_session() -> Refused:
    return _unauthorised(
        "bad_session", "the session token is not valid; sign in again", "登录凭证无效，请重新登录。"
    )


INSPECTORS: Final = frozenset({Role.INSPECTOR})


def sign_in(
    requests: SignedRequests,
    sessions: Sessions,
    body: bytes,
    roles: frozenset[Role] = INSPECTORS,
    refuse: Callable[[], Refused] = not_an_inspector,
) -> tuple[str, Inspector]:
    """Check a signed ``SignIn`` (as every signed request is: shape, key read afresh,
    signature, a few minutes' freshness, used once) and issue a session token for an
    actor of one of ``roles`` who answered an unused challenge of ours (anyone else:
    ``refuse()``)."""

    def allowed_with_challenge(request: SignedRequest) -> None:
        fields.only(request.command.payload, ("challenge",))
        challenge = request.command.payload.get("challenge")
        expires = sessions.check_challenge(challenge)
        if request.key.role not in roles:
            raise refuse()
        assert isinstance(challenge, str)
        sessions.use_challenge(challenge, expires)

    key = requests.accept(body, SIGN_IN, allowed_with_challenge).key
    token, inspector = sessions.issue(key.owner, key.organisation, key.role.value, key.key_id)
    logger.info(
        "%s %s (%s) signed in", sessions.purpose.name, inspector.actor, inspector.organisation
    )
    return token, inspector


def token_of(request: Request, cookie: str = COOKIE) -> str | None:
    """The bearer token if the request names one, else the session cookie."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _bad_session()
        return token.strip()
    return request.cookies.get(cookie)


def require_inspector(
    request: Request, sessions: Sessions, keys: InspectorRegistry
) -> Inspector:
    """The signed-in inspector (``projections.deps.InspectorDep``), or ``Refused`` (401
    without a valid session, 403 for anyone but an inspector)."""
    return require_signed_in(request, sessions, keys, INSPECTORS, not_an_inspector)


def require_signed_in(
    request: Request,
    sessions: Sessions,
    keys: InspectorRegistry,
    roles: frozenset[Role],
    refuse: Callable[[], Refused],
    absent: Callable[[], Refused] = not_signed_in,
) -> Inspector:
    """Who the request's session is, its key re-read now (a revoked key ends it), if its
    role is one of ``roles``; else ``refuse()``, or ``absent()`` without a session, or a
    401 for a session that is not valid."""
    token = token_of(request, sessions.purpose.cookie)
    if not token:
        raise absent()
    claims = sessions.decode(token)
    if claims["role"] not in {r.value for r in roles}:
        raise refuse()
    try:
        key = current_key(keys, claims["key"], claims["sub"])
    except (UnknownKey, RevokedKey):
        raise _unauthorised(
            "revoked_key",
            "the key this session was opened with is no longer valid",
            "登录所用的签名密钥已失效（已吊销），请联系财政部门。",
        ) from None
    if key.role not in roles or key.organisation != claims["org"]:
        raise refuse()
    actor, organisation = keys.actor(claims["sub"]), keys.organisation(claims["org"])
    return Inspector(
        actor=claims["sub"],
        organisation=claims["org"],
        key=claims["key"],
        session=claims["jti"],
        expires_at=int(claims["exp"]),
        name=actor.name if actor is not None else "",
        organisation_name=organisation.name if organisation is not None else "",
        role=key.role.value,
    )


# -- answering refusals -------------------------------------------------------------------


PRIVATE: Final = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def refusal(
    request: Request, refused: LedgerError, template: str = "supervision/error.html"
) -> Response:
    headers = dict(PRIVATE)
    if refused.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="supervision"'
    if not wants_html(request):
        return JSONResponse(refused.as_json(), status_code=refused.status, headers=headers)
    zh = refused.zh if isinstance(refused, Refused) else "请求无法完成。"
    heading = {401: "需要登录", 403: "无权访问", 404: "未找到"}.get(refused.status, "请求有误")
    body = ENV.get_template(template).render(
        request=request, heading=heading, message=zh, status=refused.status, stamp=None
    )
    return Response(
        body, status_code=refused.status, media_type="text/html; charset=utf-8", headers=headers
    )


class SupervisionRoute(APIRoute):
    """A route whose refusals (from ``require_inspector`` or the view itself) are answered
    as the client wants them, never as a 500 and never with data."""

    error_template = "supervision/error.html"

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused as refused:
                return refusal(request, refused, self.error_template)
            except LedgerError as error:  # a bad sign-in body, a key problem: as the API says
                return refusal(request, error, self.error_template)

        return guarded
