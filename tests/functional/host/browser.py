"""A browser without a browser: ``requests.Session`` following the sign-in redirects.

``/auth/login`` -> the IdP's sign-in page (a real HTML form with its CSRF field) -> POST the form
as a demo user -> ``/auth/callback`` -> back to the page. Every hop is real HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests


@dataclass
class SignIn:
    session: requests.Session
    hops: list[requests.Response]
    landed: requests.Response

    def token(self, host_url: str) -> Any:
        return self.session.get(f"{host_url}/auth/token", timeout=10)


def sign_in_form(page: str) -> tuple[str, dict[str, str]]:
    """The sign-in form's action and its hidden fields (the CSRF token)."""
    form = re.search(r'<form[^>]*data-testid="signin-form"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no sign-in form on the IdP's page"
    action = re.search(r'action="([^"]*)"', form.group(0))
    assert action
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    return unescape(action.group(1)), {k: unescape(v) for k, v in hidden.items()}


def sign_in(host_url: str, user: str, *, next_path: str | None = None,
            session: requests.Session | None = None) -> SignIn:
    browser = session or requests.Session()
    url = f"{host_url}/auth/login" + (f"?next={next_path}" if next_path else "")
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text
    assert urlsplit(page.url).path.endswith("/idp/authorize"), page.url
    action, fields = sign_in_form(page.text)
    posted = browser.post(urljoin(page.url, action), data={**fields, "user": user}, timeout=10,
                          headers={"Origin": f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}"})
    return SignIn(browser, [*page.history, page, *posted.history], posted)
