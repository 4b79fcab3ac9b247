"""Custom-scope applications: the organisation's list of them, the questionnaire, one
application's status and timeline with the resubmit form, and withdrawing it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from apps_registry.error_codes import AccessRequestErrorCode
from apps_registry.models import AccessRequest, PartnerApp
from apps_registry.selectors import partners as selectors
from apps_registry.services import access_requests as access_request_services
from console.forms import AccessRequestForm, AttachmentsForm
from console.keyset import keyset_page_for_request
from console.not_found import found_or_404
from console.views.actions import ObjectActionView
from console.views.partner.base import PartnerMixin
from console.views.partner.presenters import (
    ANSWER_LABELS,
    application_row,
    partner_timeline_page,
)
from core.errors import DomainError
from core.forms import show_refusal
from core.replica_pages import replica_reads
from scopes.models import Scope

APPLICATIONS_PER_PAGE = 25


@method_decorator(never_cache, name="dispatch")
@method_decorator(replica_reads, name="get")
class ApplicationListView(PartnerMixin, View):
    """The organisation's applications across its apps, newest submission first, each with its
    status, age and the partner's next step."""

    def get(self, request):
        page = keyset_page_for_request(
            request, selectors.applications_for_user(user=request.user), size=APPLICATIONS_PER_PAGE
        )
        now = timezone.now()
        return self.render(
            "console/access_request_list.html",
            {
                "page": page,
                "applications": [application_row(item, now=now) for item in page.items],
            },
        )


def _form_to_blame(error: DomainError, form, attachments_form):
    """The form that shows a refusal: the files' own when they are to blame."""
    return attachments_form if "attachments" in error.fields else form


class AccessRequestApplyView(PartnerMixin, View):
    """The questionnaire for one Custom scope of one app; while the app has an application open
    (or an approval) for the scope, that application instead."""

    def get(self, request, app_id: int, scope_key: str):
        app, scope = self._objects(app_id, scope_key)
        blocking = selectors.active_application_for_app_scope(app=app, scope=scope)
        if blocking is not None:
            messages.info(
                request,
                f"{app.name} already has this application for {scope.name} "
                f"({blocking.get_status_display().lower()}): follow it here.",
            )
            return redirect("partner:request-detail", request_id=blocking.pk)
        return self._render(
            app, scope, AccessRequestForm(endpoints=scope.endpoints.all()), AttachmentsForm()
        )

    def post(self, request, app_id: int, scope_key: str):
        app, scope = self._objects(app_id, scope_key)
        form = AccessRequestForm(request.POST, endpoints=scope.endpoints.all())
        attachments_form = AttachmentsForm(request.POST, request.FILES)
        status = 400
        blocking = None
        if form.is_valid() and attachments_form.is_valid():
            try:
                access_request = access_request_services.access_request_submit(
                    app=app,
                    scope=scope,
                    answers=form.answers(),
                    endpoints=form.chosen_endpoints(),
                    acting_user=request.user,
                    attachments=attachments_form.cleaned_data["attachments"],
                )
            except DomainError as error:
                status = show_refusal(_form_to_blame(error, form, attachments_form), error)
                if error.code == AccessRequestErrorCode.APPLICATION_ALREADY_OPEN:
                    blocking = selectors.active_application_for_app_scope(app=app, scope=scope)
            else:
                messages.success(
                    request, f"Your application for {scope.name} was submitted for review."
                )
                return redirect("partner:request-detail", request_id=access_request.pk)
        return self._render(app, scope, form, attachments_form, status=status, blocking=blocking)

    def _objects(self, app_id: int, scope_key: str):
        app = found_or_404(
            selectors.app_get_for_user(user=self.request.user, app_id=app_id), PartnerApp
        )
        return app, found_or_404(selectors.scope_get_for_application(key=scope_key), Scope)

    def _render(self, app, scope, form, attachments_form, *, status: int = 200, blocking=None):
        return self.render(
            "console/access_request_apply.html",
            {
                "app": app,
                "scope": scope,
                "form": form,
                "attachments_form": attachments_form,
                "blocking_application": blocking,
            },
            status=status,
        )


@method_decorator(never_cache, name="dispatch")
class AccessRequestDetailView(PartnerMixin, View):
    """Status, expected decision date, timeline, reviewer comments and the resubmit form."""

    def get(self, request, request_id: int):
        access_request = found_or_404(
            selectors.access_request_get_for_user(user=request.user, request_id=request_id),
            AccessRequest,
        )
        return self._render(access_request, self._resubmit_form(access_request), AttachmentsForm())

    def post(self, request, request_id: int):
        """Resubmit after the reviewer asked for changes."""
        access_request = found_or_404(
            selectors.access_request_get_for_user(user=request.user, request_id=request_id),
            AccessRequest,
        )
        form = AccessRequestForm(request.POST, endpoints=access_request.scope.endpoints.all())
        attachments_form = AttachmentsForm(request.POST, request.FILES)
        status = 400
        if form.is_valid() and attachments_form.is_valid():
            try:
                access_request_services.access_request_resubmit(
                    request_id=access_request.pk,
                    answers=form.answers(),
                    endpoints=form.chosen_endpoints(),
                    acting_user=request.user,
                    attachments=attachments_form.cleaned_data["attachments"],
                )
            except DomainError as error:
                status = show_refusal(_form_to_blame(error, form, attachments_form), error)
            else:
                messages.success(request, "Your answers were resubmitted for review.")
                return redirect("partner:request-detail", request_id=access_request.pk)
        return self._render(access_request, form, attachments_form, status=status)

    def _resubmit_form(self, access_request: AccessRequest):
        if access_request.status != AccessRequest.Status.CHANGES_REQUESTED:
            return None
        return AccessRequestForm(
            initial=AccessRequestForm.initial_from(access_request),
            endpoints=access_request.scope.endpoints.all(),
        )

    def _render(self, access_request, form, attachments_form, *, status: int = 200):
        field_comments = selectors.reviewer_field_comments(access_request)
        answers = [
            {
                "label": ANSWER_LABELS[name],
                "value": getattr(access_request, name),
                "comment": field_comments.get(name, ""),
            }
            for name in AccessRequest.ANSWER_FIELDS
        ]
        return self.render(
            "console/access_request_detail.html",
            {
                "access_request": access_request,
                "app": access_request.app,
                "scope": access_request.scope,
                "timeline": partner_timeline_page(access_request),
                "answers": answers,
                "expected_decision": selectors.expected_decision_date(access_request),
                "form": form,
                "form_rows": [(field, field_comments.get(field.name, "")) for field in form]
                if form
                else [],
                "can_withdraw": access_request.is_open,
                "attachments": access_request.attachments.all(),
                "attachments_form": attachments_form,
            },
            status=status,
        )


class AccessRequestWithdrawView(PartnerMixin, ObjectActionView):
    def get_object(self) -> AccessRequest:
        return found_or_404(
            selectors.access_request_get_for_user(
                user=self.request.user, request_id=self.kwargs["request_id"]
            ),
            AccessRequest,
        )

    def perform(self, access_request: AccessRequest) -> str:
        access_request_services.access_request_withdraw(
            request_id=access_request.pk, acting_user=self.request.user
        )
        return "Your application was withdrawn."

    def redirect_url(self, access_request: AccessRequest) -> str:
        return reverse("partner:request-detail", kwargs={"request_id": access_request.pk})
