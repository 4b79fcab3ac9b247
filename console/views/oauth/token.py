"""The token and revocation endpoints: DOT's views behind the refusal of malformed requests and
the throttle on failed client authentication."""

from __future__ import annotations

from django.db import transaction
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.views import RevokeTokenView as DOTRevokeTokenView
from oauth2_provider.views import TokenView as DOTTokenView

from console.views.oauth.client_auth import ClientAuthThrottleMixin, RefuseMalformedRequestMixin


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(RefuseMalformedRequestMixin, ClientAuthThrottleMixin, DOTTokenView):
    def post(self, request, *args, **kwargs):
        # One transaction: the refresh token row locked in validation stays locked until the
        # rotated pair is saved, and a replayed code's revocation commits with the refusal.
        with transaction.atomic():
            return super().post(request, *args, **kwargs)


@method_decorator(csrf_exempt, name="dispatch")
class RevokeTokenView(RefuseMalformedRequestMixin, ClientAuthThrottleMixin, DOTRevokeTokenView):
    pass
