"""Knox token authentication, one query per request.

Knox's own check also reads all of the user's other tokens on every request to delete the expired
ones; here an expired token is only refused. Expired tokens stay listed (``api_token list`` shows them
as expired) until revoked.
"""

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token) -> bool:
        return auth_token.expiry is not None and auth_token.expiry < timezone.now()
