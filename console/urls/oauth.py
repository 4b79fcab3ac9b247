"""OAuth 2.0 endpoints (stable paths, advertised in the RFC 8414 metadata), in DOT's
`oauth2_provider` namespace so DOT's own reverse() calls (metadata document, issuer) find them.
Only these endpoints exist: no application management, device flow, OIDC or dynamic registration
views."""

from django.urls import include, path
from oauth2_provider.views import OAuthServerMetadataView

from console.views.oauth import authorize, introspect, token

oauth2_provider_patterns = [
    path("oauth/authorize/", authorize.ConsentView.as_view(), name="authorize"),
    path("oauth/token/", token.TokenView.as_view(), name="token"),
    path("oauth/revoke/", token.RevokeTokenView.as_view(), name="revoke-token"),
    path("oauth/introspect/", introspect.IntrospectView.as_view(), name="introspect"),
    path(
        ".well-known/oauth-authorization-server",
        OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
]

urlpatterns = [path("", include((oauth2_provider_patterns, "oauth2_provider")))]
