"""The dev OpenID Connect provider: sign-in without passwords, RS256 ID tokens, a real code flow.

It stands in for a real provider on the local stack (and only there): authlib's authorization
server with PKCE (S256 only), the OpenID Connect code flow and refresh-token rotation, keys and
users kept in the data directory. ``provider`` is the plain object the stack composes,
``views`` the blueprint the host mounts at ``/idp``, ``devtoken`` and ``users`` the commands.
"""

from webapp.idp.provider import IdentityProvider
from webapp.idp.views import create_idp_blueprint

__all__ = ["IdentityProvider", "create_idp_blueprint"]
