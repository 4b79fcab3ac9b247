"""`{% app_continued_to as app %}` on the sign-in page (see console.sign_in)."""

from __future__ import annotations

from django import template

from console.sign_in import app_continued_to as lookup_app

register = template.Library()


@register.simple_tag(takes_context=True)
def app_continued_to(context):
    """Looked up once per request: the page asks from its header and from its body."""
    request = context["request"]
    if not hasattr(request, "_app_continued_to"):
        request._app_continued_to = lookup_app(
            request=request, next_url=context.get("redirect_field_value")
        )
    return request._app_continued_to
