"""The organisation's overview, and onboarding (create the organisation) before there is one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View

from apps_registry.selectors import partners as selectors
from apps_registry.services import partners as partner_services
from console.forms import OnboardingForm
from core.errors import DomainError
from core.forms import show_refusal
from core.replica_pages import replica_reads


@method_decorator(replica_reads, name="get")
class DashboardView(LoginRequiredMixin, View):
    """The organisation's overview; onboarding (create the organisation) when there is none."""

    def get(self, request):
        membership = selectors.membership_for_user(user=request.user)
        if membership is None:
            return self._onboarding(OnboardingForm())
        return render(
            request,
            "console/dashboard.html",
            {
                "partner": membership.partner,
                "membership": membership,
                "apps": selectors.apps_for_user(user=request.user)[:10],
                "access_requests": selectors.access_requests_for_user(user=request.user)[:20],
                "member_count": selectors.members_for_partner(partner=membership.partner).count(),
            },
        )

    def post(self, request):
        form = OnboardingForm(request.POST)
        if not form.is_valid():
            return self._onboarding(form, status=400)
        try:
            partner = partner_services.partner_create(
                name=form.cleaned_data["name"], acting_user=request.user
            )
        except DomainError as error:
            return self._onboarding(form, status=show_refusal(form, error))
        messages.success(request, f"Welcome! {partner.name} is ready. Create your first app.")
        return redirect("partner:app-create")

    def _onboarding(self, form, *, status: int = 200):
        return render(self.request, "console/onboarding.html", {"form": form}, status=status)
