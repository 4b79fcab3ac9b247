"""The token and revocation endpoints: DOT's views behind the refusal of malformed requests and
the throttle on failed client authentication."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider.signals import app_authorized
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

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        # DOT reads every token it issues back from the database only to send it with its
        # app_authorized signal; while nothing listens, the answer is DOT's without that read.
        if app_authorized.has_listeners():
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


@method_decorator(csrf_exempt, name="dispatch")
class RevokeTokenView(RefuseMalformedRequestMixin, ClientAuthThrottleMixin, DOTRevokeTokenView):
    pass
