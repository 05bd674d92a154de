"""The local STS: ``AssumeRoleWithWebIdentity`` over the Query protocol.

``tokens`` validates the ID token (pure), ``jwks`` caches the providers' keys, ``assume`` runs the
operation, ``app`` is the WSGI view.
"""

from webapp.sts.app import create_sts_app

__all__ = ["create_sts_app"]
