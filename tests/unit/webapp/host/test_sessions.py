"""``SessionRefresher`` branch by branch: the Sessions table is real (moto, as storage), the clock
and the sleep between polls are the test's, and the provider's answer to a refresh is scripted at
the ``TokenRefresh`` seam (the real authlib refresh against the dev provider, and two machines
racing, are tests/functional/host/test_signin.py and test_gunicorn.py).

Expected behaviour: OpenID Connect Core §12 (refresh gives a new ID token), RFC 9700 §4.14.2
(rotated refresh tokens: a second use of one is refused, so the loser of a race must take the
winner's tokens rather than end the session).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from webapp.host.oidc import OidcError, Tokens
from webapp.host.sessions import RACE_POLLS, Session, SessionRefresher

from .conftest import Host

NEAR_EXPIRY = 30  # seconds left on the ID token: inside the 60 s refresh margin


@dataclass
class Provider:
    """The provider's scripted answer to ``refresh``, and the calls it got."""

    answer: Callable[[], Tokens]
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def refresh(self, refresh_token: str, *, sub: str, issuer: str) -> Tokens:
        self.calls.append((refresh_token, sub, issuer))
        return self.answer()


def refused(status: int, *, grant_refused: bool) -> Callable[[], Tokens]:
    def answer() -> Tokens:
        raise OidcError("login_required", "refused", status, grant_refused=grant_refused)
    return answer


def fresh_tokens(host: Host, refresh_token: str | None = "rt-2") -> Callable[[], Tokens]:
    def answer() -> Tokens:
        token = host.id_token("sub-alice", lifetime=600)
        return Tokens(token, {"exp": int(host.clock()) + 600, "sub": "sub-alice"}, refresh_token)
    return answer


@dataclass
class Signed:
    cookie: str
    session: Session
    sleeps: list[float] = field(default_factory=list)


def signed_in(host: Host, refresh_token: str | None = "rt-1") -> Signed:
    cookie = host.sign_in("sub-alice", lifetime=NEAR_EXPIRY, refresh_token=refresh_token)
    session = host.store.get(cookie)
    assert session is not None and session.needs_refresh(host.clock())
    return Signed(cookie, session)


def refresher(host: Host, provider: Provider, signed: Signed,
              on_sleep: Callable[[], None] = lambda: None) -> SessionRefresher:
    def sleep(seconds: float) -> None:
        signed.sleeps.append(seconds)
        on_sleep()
    return SessionRefresher(host.store, provider, host.clock, sleep=sleep)


def test_a_refresh_stores_the_new_tokens(host: Host) -> None:
    signed = signed_in(host)
    provider = Provider(fresh_tokens(host))
    result = refresher(host, provider, signed).refresh(signed.session, signed.cookie)
    assert provider.calls == [("rt-1", "sub-alice", host.settings.issuer)]
    assert result is not None and result.id_token != signed.session.id_token
    assert not result.needs_refresh(host.clock())
    stored = host.store.get(signed.cookie)
    assert stored is not None and (stored.id_token, stored.refresh_token) == (result.id_token, "rt-2")


def test_a_session_another_request_refreshed_meanwhile_is_taken_as_it_is(host: Host) -> None:
    signed = signed_in(host)
    host.store.replace_tokens(signed.session, id_token=host.id_token(lifetime=600),
                              id_token_exp=int(host.clock()) + 600, refresh_token="rt-other")
    provider = Provider(fresh_tokens(host))
    result = refresher(host, provider, signed).refresh(signed.session, signed.cookie)
    assert provider.calls == [], "no second refresh"
    assert result is not None and result.refresh_token == "rt-other"


def test_a_session_without_a_refresh_token_ends(host: Host) -> None:
    signed = signed_in(host, refresh_token=None)
    provider = Provider(fresh_tokens(host))
    assert refresher(host, provider, signed).refresh(signed.session, signed.cookie) is None
    assert provider.calls == [] and host.items() == []


def test_a_session_ended_meanwhile_stays_ended(host: Host) -> None:
    signed = signed_in(host)
    host.store.delete(signed.cookie)
    provider = Provider(fresh_tokens(host))
    assert refresher(host, provider, signed).refresh(signed.session, signed.cookie) is None
    assert provider.calls == []


def test_an_unreachable_provider_keeps_the_session(host: Host) -> None:
    signed = signed_in(host)
    provider = Provider(refused(502, grant_refused=False))
    with pytest.raises(OidcError) as caught:
        refresher(host, provider, signed).refresh(signed.session, signed.cookie)
    assert caught.value.status == 502
    assert host.store.get(signed.cookie) == signed.session, "kept, unchanged"


def test_a_refused_refreshed_token_ends_the_session_without_waiting(host: Host) -> None:
    # e.g. the refreshed ID token names another subject: no race can explain it.
    signed = signed_in(host)
    provider = Provider(refused(401, grant_refused=False))
    assert refresher(host, provider, signed).refresh(signed.session, signed.cookie) is None
    assert signed.sleeps == [] and host.items() == []


def test_a_loser_of_a_refresh_race_takes_the_winners_tokens(host: Host) -> None:
    signed = signed_in(host)
    winner = host.id_token(lifetime=600)

    def another_machine_stores_its_tokens() -> None:
        if len(signed.sleeps) == 2:  # the winner's update lands while the loser waits
            host.store.replace_tokens(signed.session, id_token=winner,
                                      id_token_exp=int(host.clock()) + 600, refresh_token="rt-winner")

    provider = Provider(refused(401, grant_refused=True))
    result = refresher(host, provider, signed, another_machine_stores_its_tokens).refresh(
        signed.session, signed.cookie)
    assert result is not None and (result.id_token, result.refresh_token) == (winner, "rt-winner")
    assert len(signed.sleeps) == 2
    assert host.store.get(signed.cookie) == result


def test_a_refused_refresh_token_with_no_winner_ends_the_session_after_waiting(host: Host) -> None:
    signed = signed_in(host)
    provider = Provider(refused(401, grant_refused=True))
    assert refresher(host, provider, signed).refresh(signed.session, signed.cookie) is None
    assert len(signed.sleeps) == RACE_POLLS
    assert host.items() == []


def test_refreshing_never_extends_the_sign_in(host: Host) -> None:
    """README, WEBAPP_SESSION_LIFETIME_SECONDS: a sign-in lasts its lifetime "however often its ID
    token is refreshed": ExpiresAt is set at sign-in and a refresh leaves it; past it the session
    is gone (tests/unit/webapp/host/test_auth.py, past ExpiresAt)."""
    signed = signed_in(host)
    expires_at = signed.session.expires_at
    for _ in range(3):
        host.clock.advance(500)
        current = host.store.get(signed.cookie)
        assert current is not None
        refreshed = refresher(host, Provider(fresh_tokens(host)), signed).refresh(current, signed.cookie)
        assert refreshed is not None and refreshed.expires_at == expires_at
    stored = host.store.get(signed.cookie)
    assert stored is not None and stored.expires_at == expires_at
