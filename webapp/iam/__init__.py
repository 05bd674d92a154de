"""The local IAM: the registry of providers, roles and policies (``registry``, holding ``records``
checked by ``validation``) and IAM's Query API in front of it (``app``, running ``actions``), over
the Query protocol shared with STS (``webapp.query_protocol``)."""

from webapp.iam.app import create_iam_app

__all__ = ["create_iam_app"]
