"""The partner console: organisation, team, apps, Manage API and Custom-scope applications.

Views stay thin: they reach objects only through the owner-scoped selectors in
`apps_registry.selectors.partners` (another partner's object is a 404), call one service per
change, and turn a DomainError into a message next to the form, never a 500.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from apps_registry.errors import DomainError
from apps_registry.models import (
    AccessRequest,
    Membership,
    PartnerApp,
    PartnerAuditEvent,
    ReviewEvent,
)
from apps_registry.selectors import partners as selectors
from apps_registry.selectors.availability import available_scope_keys
from apps_registry.services import access_requests as access_request_services
from apps_registry.services import apps as app_services
from apps_registry.services import partners as partner_services
from console.caching import forbid_storing
from console.forms import (
    AccessRequestForm,
    AppCreateForm,
    AppDetailsForm,
    InvitationForm,
    OnboardingForm,
    RedirectUrisForm,
    RequestedScopesForm,
)

AuditAction = PartnerAuditEvent.Action
ONE_TIME_SECRET_SESSION_KEY = "console:one-time-secret:{app_id}"  # noqa: S105 - a key name


def _app_url(app: PartnerApp) -> str:
    return reverse("partner:app-detail", args=[app.pk])


def _stash_one_time_secret(request: HttpRequest, app: PartnerApp, raw_secret: str) -> None:
    """Keep the plaintext secret in the session just until the next render of the app page."""
    request.session[ONE_TIME_SECRET_SESSION_KEY.format(app_id=app.pk)] = raw_secret


def _pop_one_time_secret(request: HttpRequest, app: PartnerApp) -> str | None:
    return request.session.pop(ONE_TIME_SECRET_SESSION_KEY.format(app_id=app.pk), None)


def _add_domain_error(form, error: DomainError) -> None:
    """Show a refused change on the form: per answer when the service says where, else on top."""
    field_errors = getattr(error, "field_errors", None) or {}
    for name, message in field_errors.items():
        form.add_error(name if name in form.fields else None, message)
    if not field_errors:
        form.add_error(None, str(error))


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


# --- Dashboard and onboarding -------------------------------------------------------------------


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
            form.add_error(None, str(error))
            return self._onboarding(form, status=400)
        messages.success(request, f"Welcome! {partner.name} is ready. Create your first app.")
        return redirect("partner:app-create")

    def _onboarding(self, form, *, status: int = 200):
        return render(self.request, "console/onboarding.html", {"form": form}, status=status)


# --- Team ---------------------------------------------------------------------------------------


class TeamView(PartnerMixin, View):
    def get(self, request):
        return self._render(InvitationForm())

    def post(self, request):
        """Invite someone (owners only; the service refuses everyone else)."""
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation, _token = partner_services.invitation_create(
                    partner=self.partner,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    acting_user=request.user,
                    base_url=request.build_absolute_uri("/"),
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("partner:team")
        return self._render(form, status=400)

    def _render(self, form, *, status: int = 200):
        return self.render(
            "console/team.html",
            {
                "form": form,
                "is_owner": self.membership.role == Membership.Role.OWNER,
                "members": selectors.members_for_partner(partner=self.partner),
                "invitations": selectors.pending_invitations_for_partner(partner=self.partner),
            },
            status=status,
        )


class InvitationRevokeView(PartnerMixin, View):
    def post(self, request, invitation_id: int):
        invitation = selectors.invitation_get_for_user(
            user=request.user, invitation_id=invitation_id
        )
        try:
            partner_services.invitation_revoke(
                invitation_id=invitation.pk, acting_user=request.user
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
        return redirect("partner:team")


class MemberRemoveView(PartnerMixin, View):
    def post(self, request, membership_id: int):
        membership = selectors.membership_get_for_user(
            user=request.user, membership_id=membership_id
        )
        try:
            partner_services.membership_remove(
                membership_id=membership.pk, acting_user=request.user
            )
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("partner:team")
        if membership.user_id == request.user.pk:
            messages.success(request, f"You left {membership.partner.name}.")
            return redirect("partner:dashboard")
        messages.success(request, f"{membership.user.email} was removed from the organisation.")
        return redirect("partner:team")


@method_decorator(never_cache, name="dispatch")
class InvitationAcceptView(View):
    """The link in an invitation e-mail: sign in (or up) with the invited address, then join."""

    def get(self, request, token: str):
        invitation = selectors.invitation_get_by_token(raw_token=token)
        try:
            partner_services.invitation_check_usable(invitation)
        except DomainError as error:
            return self._render(invitation=None, error=str(error), status=404)
        if not request.user.is_authenticated:
            # Following the e-mailed link proves control of the address, so allauth may treat it
            # as verified when the invitee signs up with it (adapter.is_email_verified).
            get_adapter(request).stash_verified_email(request, invitation.email)
        return self._render(invitation=invitation)

    def post(self, request, token: str):
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        try:
            membership = partner_services.invitation_accept(
                raw_token=token, acting_user=request.user
            )
        except DomainError as error:
            invitation = selectors.invitation_get_by_token(raw_token=token)
            return self._render(invitation=invitation, error=str(error), status=400)
        messages.success(request, f"You joined {membership.partner.name}.")
        return redirect("partner:dashboard")

    def _render(self, *, invitation, error: str = "", status: int = 200):
        return render(
            self.request,
            "console/invitation_accept.html",
            {"invitation": invitation, "error": error},
            status=status,
        )


# --- Apps ---------------------------------------------------------------------------------------


class AppListView(PartnerMixin, View):
    def get(self, request):
        return self.render(
            "console/app_list.html", {"apps": selectors.apps_for_user(user=request.user)}
        )


class AppCreateView(PartnerMixin, View):
    def get(self, request):
        return self._render(AppCreateForm(initial={"category": PartnerApp.Category.OTHER}))

    @method_decorator(sensitive_variables("raw_secret"))
    def post(self, request):
        form = AppCreateForm(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            app, raw_secret = app_services.app_create(
                partner=self.partner, acting_user=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return self._render(form, status=400)
        _stash_one_time_secret(request, app, raw_secret)
        messages.success(request, f"{app.name} was created. Copy its client secret now.")
        return redirect(_app_url(app))

    def _render(self, form, *, status: int = 200):
        return self.render("console/app_create.html", {"form": form}, status=status)


@method_decorator(never_cache, name="dispatch")
class AppDetailView(PartnerMixin, View):
    """Credentials (secret shown once) and recent failed uses of them, redirect URIs, details,
    status and the app's requests."""

    def get(self, request, app_id: int):
        app = selectors.app_get_for_user(user=request.user, app_id=app_id)
        one_time_secret = _pop_one_time_secret(request, app)
        response = self._render(app, one_time_secret=one_time_secret)
        return forbid_storing(response) if one_time_secret else response

    def post(self, request, app_id: int):
        """Save the app's details (name, description, category, links)."""
        app = selectors.app_get_for_user(user=request.user, app_id=app_id)
        form = AppDetailsForm(request.POST)
        if form.is_valid():
            try:
                app_services.app_update_details(
                    app_id=app.pk, acting_user=request.user, **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The app's details were saved.")
                return redirect(_app_url(app))
        return self._render(app, details_form=form, status=400)

    def _render(
        self, app, *, one_time_secret=None, details_form=None, redirect_form=None, status=200
    ):
        return self.render(
            "console/app_detail.html",
            {
                "app": app,
                "one_time_secret": one_time_secret,
                "details_form": details_form
                or AppDetailsForm(
                    initial={
                        "name": app.name,
                        "description": app.description,
                        "category": app.category,
                        "homepage_url": app.homepage_url,
                        "privacy_policy_url": app.privacy_policy_url,
                    }
                ),
                "redirect_form": redirect_form
                or RedirectUrisForm(initial={"redirect_uris": app.redirect_uris.split()}),
                "redirect_uris": app.redirect_uris.split(),
                "requested_scopes": selectors.requested_scopes_for_app(app=app),
                "access_requests": selectors.access_requests_for_app(app=app),
                "activity": [
                    _activity_entry(event)
                    for event in selectors.app_activity_for_user(
                        user=self.request.user, app_id=app.pk
                    )
                ],
                "client_auth_failures": selectors.client_auth_failures_for_user(
                    user=self.request.user, app_id=app.pk
                ),
            },
            status=status,
        )


def _activity_entry(event: PartnerAuditEvent) -> dict:
    """One audit event as the app page shows it: who, and what changed in plain words.

    Staff are named as the platform, as reviewers are named as the review team."""
    if event.action in PartnerAuditEvent.STAFF_ACTIONS:
        actor = "the platform"
    else:
        actor = event.actor.email if event.actor else ""
    return {"event": event, "actor": actor, "changes": _activity_changes(event)}


def _activity_changes(event: PartnerAuditEvent) -> list[str]:
    details = event.details or {}
    if event.action == AuditAction.APP_UPDATED:
        labels = [
            app_services.URL_FIELD_LABELS.get(name, name) for name in details.get("changed", {})
        ]
        return [f"Changed {', '.join(labels)}"] if labels else []
    if event.action == AuditAction.REDIRECT_URIS_CHANGED:
        old, new = details.get("old", []), details.get("new", [])
        return [f"Added {uri}" for uri in new if uri not in old] + [
            f"Removed {uri}" for uri in old if uri not in new
        ]
    hint = details.get("secret_hint")
    if event.action in (AuditAction.APP_CREATED, AuditAction.SECRET_ROTATED) and hint:
        return [f"Secret ends in …{hint}"]
    if event.action == AuditAction.SCOPES_CHOSEN:
        return (
            [f"Added {key} ({need})" for key, need in details.get("added", {}).items()]
            + [f"Removed {key}" for key in details.get("removed", [])]
            + [f"{key} is now {need}" for key, need in details.get("changed", {}).items()]
        )
    return []


@method_decorator(reauthentication_required, name="post")
class AppRedirectUrisView(AppDetailView):
    """Changing where codes are sent is sensitive: it asks for the password again."""

    def get(self, request, app_id: int):
        return redirect(_app_url(selectors.app_get_for_user(user=request.user, app_id=app_id)))

    def post(self, request, app_id: int):
        app = selectors.app_get_for_user(user=request.user, app_id=app_id)
        form = RedirectUrisForm(request.POST)
        if form.is_valid():
            try:
                app_services.app_set_redirect_uris(
                    app_id=app.pk,
                    redirect_uris=form.cleaned_data["redirect_uris"],
                    acting_user=request.user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Redirect URIs saved.")
                return redirect(_app_url(app))
        return self._render(app, redirect_form=form, status=400)


@method_decorator(reauthentication_required, name="post")
class AppRotateSecretView(PartnerMixin, View):
    """A new client secret, shown once; the old one stops working at once."""

    @method_decorator(sensitive_variables("raw_secret"))
    def post(self, request, app_id: int):
        app = selectors.app_get_for_user(user=request.user, app_id=app_id)
        try:
            app, raw_secret = app_services.app_rotate_secret(
                app_id=app.pk, acting_user=request.user
            )
        except DomainError as error:
            messages.error(request, str(error))
            return redirect(_app_url(app))
        _stash_one_time_secret(request, app, raw_secret)
        messages.success(request, "A new client secret was generated; the old one no longer works.")
        return redirect(_app_url(app))


class AppPublishView(PartnerMixin, View):
    def post(self, request, app_id: int):
        app = selectors.app_get_for_user(user=request.user, app_id=app_id)
        try:
            app_services.app_publish(app_id=app.pk, acting_user=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{app.name} is live: sellers can now authorize it.")
        return redirect(_app_url(app))


# --- Manage API ---------------------------------------------------------------------------------


class ManageApiView(PartnerMixin, View):
    """Every catalog scope with its status for the app; choose what the app asks sellers for."""

    def get(self, request, app_id: int):
        app = selectors.app_get_for_user(user=request.user, app_id=app_id)
        return self._render(app, self._form(app))

    def post(self, request, app_id: int):
        app = selectors.app_get_for_user(user=request.user, app_id=app_id)
        form = self._form(app, data=request.POST)
        if form.is_valid():
            try:
                app_services.app_set_requested_scopes(
                    app=app, selections=form.selections(), acting_user=request.user
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The scopes your app asks sellers for were saved.")
                return redirect(reverse("partner:manage-api", args=[app.pk]))
        return self._render(app, form, status=400)

    def _form(self, app: PartnerApp, data=None) -> RequestedScopesForm:
        current = {
            row.scope.key: row.is_required for row in selectors.requested_scopes_for_app(app=app)
        }
        return RequestedScopesForm(
            data, scope_keys=sorted(available_scope_keys(app=app)), current=current
        )

    def _render(self, app, form, *, status: int = 200):
        query = self.request.GET.get("q", "")[:100]
        group = self.request.GET.get("group", "")[:60]
        status_filter = self.request.GET.get("status", "")[:30]
        groups = selectors.app_scope_statuses(
            app=app, query=query, group=group, status=status_filter
        )
        prefix = RequestedScopesForm.FIELD_PREFIX
        return self.render(
            "console/manage_api.html",
            {
                "app": app,
                "form": form,
                # Each row with its required/optional choice, when the scope is available.
                "groups": [
                    {
                        "name": scope_group.name,
                        "items": [
                            (row, form[prefix + row.scope.key])
                            if prefix + row.scope.key in form.fields
                            else (row, None)
                            for row in scope_group.rows
                        ],
                    }
                    for scope_group in groups
                ],
                "query": query,
                "group": group,
                "status_filter": status_filter,
                "group_names": selectors.scope_groups(),
                "status_choices": MANAGE_API_STATUS_FILTERS,
                "row_count": sum(len(scope_group.rows) for scope_group in groups),
                "requested_count": app.requested_scopes.count(),
            },
            status=status,
        )


MANAGE_API_STATUS_FILTERS = (
    ("available", "Available (Public)"),
    ("approved", "Approved"),
    ("not_applied", "Not applied"),
    ("submitted", "Submitted"),
    ("in_review", "In review"),
    ("changes_requested", "Changes requested"),
    ("rejected", "Rejected"),
)


# --- Custom-scope applications ------------------------------------------------------------------


class AccessRequestApplyView(PartnerMixin, View):
    """The questionnaire for one Custom scope of one app."""

    def get(self, request, app_id: int, scope_key: str):
        app, scope = self._objects(app_id, scope_key)
        return self._render(app, scope, AccessRequestForm(endpoints=scope.endpoints.all()))

    def post(self, request, app_id: int, scope_key: str):
        app, scope = self._objects(app_id, scope_key)
        form = AccessRequestForm(request.POST, endpoints=scope.endpoints.all())
        if form.is_valid():
            try:
                access_request = access_request_services.access_request_submit(
                    app=app, scope=scope, answers=form.answers(), acting_user=request.user
                )
            except DomainError as error:
                _add_domain_error(form, error)
            else:
                messages.success(
                    request, f"Your application for {scope.name} was submitted for review."
                )
                return redirect("partner:request-detail", request_id=access_request.pk)
        return self._render(app, scope, form, status=400)

    def _objects(self, app_id: int, scope_key: str):
        app = selectors.app_get_for_user(user=self.request.user, app_id=app_id)
        return app, selectors.scope_get_for_application(key=scope_key)

    def _render(self, app, scope, form, *, status: int = 200):
        return self.render(
            "console/access_request_apply.html",
            {"app": app, "scope": scope, "form": form, "endpoints": form.endpoints},
            status=status,
        )


@method_decorator(never_cache, name="dispatch")
class AccessRequestDetailView(PartnerMixin, View):
    """Status, expected decision date, timeline, reviewer comments and the resubmit form."""

    def get(self, request, request_id: int):
        access_request = selectors.access_request_get_for_user(
            user=request.user, request_id=request_id
        )
        return self._render(access_request, self._resubmit_form(access_request))

    def post(self, request, request_id: int):
        """Resubmit after the reviewer asked for changes."""
        access_request = selectors.access_request_get_for_user(
            user=request.user, request_id=request_id
        )
        form = AccessRequestForm(request.POST, endpoints=access_request.scope.endpoints.all())
        if form.is_valid():
            try:
                access_request_services.access_request_resubmit(
                    request_id=access_request.pk, answers=form.answers(), acting_user=request.user
                )
            except DomainError as error:
                _add_domain_error(form, error)
            else:
                messages.success(request, "Your answers were resubmitted for review.")
                return redirect("partner:request-detail", request_id=access_request.pk)
        return self._render(access_request, form, status=400)

    def _resubmit_form(self, access_request: AccessRequest):
        if access_request.status != AccessRequest.Status.CHANGES_REQUESTED:
            return None
        return AccessRequestForm(
            initial=AccessRequestForm.initial_from(access_request),
            endpoints=access_request.scope.endpoints.all(),
        )

    def _render(self, access_request, form, *, status: int = 200):
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
                "timeline": [_timeline_entry(event) for event in access_request.events.all()],
                "answers": answers,
                "expected_decision": selectors.expected_decision_date(access_request),
                "form": form,
                "form_rows": [(field, field_comments.get(field.name, "")) for field in form]
                if form
                else [],
                "can_withdraw": access_request.is_open,
            },
            status=status,
        )


ANSWER_LABELS = {
    name: AccessRequestForm.base_fields[name].label for name in AccessRequest.ANSWER_FIELDS
}
PARTNER_ACTIONS = {
    ReviewEvent.Action.SUBMIT,
    ReviewEvent.Action.RESUBMIT,
    ReviewEvent.Action.WITHDRAW,
}


def _timeline_entry(event: ReviewEvent) -> dict:
    """One event as the partner sees it: reviewers are named as the team, not as people."""
    if event.actor is None:
        actor = ""
    elif event.action in PARTNER_ACTIONS:
        actor = event.actor.email
    else:
        actor = "the review team"
    details = event.details or {}
    return {
        "event": event,
        "actor": actor,
        "field_comments": [
            (ANSWER_LABELS.get(name, name), comment)
            for name, comment in (details.get("field_comments") or {}).items()
        ],
        "changed": [ANSWER_LABELS.get(name, name) for name in details.get("changed") or {}],
    }


class AccessRequestWithdrawView(PartnerMixin, View):
    def post(self, request, request_id: int):
        access_request = selectors.access_request_get_for_user(
            user=request.user, request_id=request_id
        )
        try:
            access_request_services.access_request_withdraw(
                request_id=access_request.pk, acting_user=request.user
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your application was withdrawn.")
        return redirect("partner:request-detail", request_id=access_request.pk)
