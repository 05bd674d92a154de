"""WSGI entry for gunicorn: ``gunicorn -w 4 -b 0.0.0.0:8000 webapp.host.wsgi:app``.

Configuration comes from ``WEBAPP_*`` environment variables (``Settings.from_env``); the host
signs its Sessions calls with boto3's default chain. Behind a TLS-terminating proxy set
``WEBAPP_PROXY_HOPS`` to the number of proxies, so that ``X-Forwarded-Proto``/``-Host`` are
trusted (Werkzeug ``ProxyFix``): the callback URL is then https and the cookie ``Secure``.
"""

from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.host import create_app
from webapp.settings import Settings

settings = Settings.from_env()
app = create_app(settings)

if settings.proxy_hops:
    hops = settings.proxy_hops
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,  # type: ignore[method-assign]
                            x_port=hops)
