"""Explain a call: what the gate would decide for one call of the app, and why. The gateway's
denials link here with the call filled in, so the page reads its question from the query string."""

from __future__ import annotations

from django.views import View

from apps_registry.gate.decision import gate_explain
from apps_registry.models import PartnerApp
from apps_registry.selectors import gate as gate_selectors
from apps_registry.selectors import partners as selectors
from console.forms import GateExplainForm
from console.gate_presentation import explanation
from console.not_found import found_or_404
from console.views.partner.base import PartnerMixin


class AppExplainView(PartnerMixin, View):
    def get(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        asked = any(name in request.GET for name in GateExplainForm.base_fields)
        form = GateExplainForm(request.GET if asked else None)
        explained = None
        status = 200
        if form.is_bound:
            if form.is_valid():
                call = form.call()
                explained = explanation(gate_explain(app=app, call=call), call)
            else:
                status = 400
        return self.render(
            "console/app_explain.html",
            {
                "app": app,
                "form": form,
                "explanation": explained,
                "shops": gate_selectors.authorized_shops_for_user(user=request.user, app_id=app.pk),
            },
            status=status,
        )
