"""What every partner page starts from: the signed-in user's membership of an organisation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import redirect, render

from apps_registry.models import Membership
from apps_registry.selectors import partners as selectors


class PartnerMixin(LoginRequiredMixin):
    """Logged-in members of an organisation; others are sent to onboarding on the dashboard."""

    membership: Membership

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = selectors.membership_for_user(user=request.user)
        if membership is None:
            messages.info(request, "Create your organisation first.")
            return redirect("partner:dashboard")
        self.membership = membership
        return super().dispatch(request, *args, **kwargs)

    @property
    def partner(self):
        return self.membership.partner

    def render(self, template: str, context: dict, *, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            template,
            {"partner": self.partner, "membership": self.membership, **context},
            status=status,
        )
