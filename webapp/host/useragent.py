"""A browser's ``User-Agent`` in a few words ("Chrome on Linux"), for the session list.

Only for showing a person where they are signed in; nothing is decided on it (the header is the
client's to say). The order of the checks follows the tokens browsers put in the header (Edge
and Opera also say "Chrome", Chrome also says "Safari").
"""

from __future__ import annotations

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("HeadlessChrome/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe(user_agent: str | None) -> str:
    text = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in text), "A browser")
    system = next((name for token, name in _SYSTEMS if token in text), None)
    return f"{browser} on {system}" if system else browser
