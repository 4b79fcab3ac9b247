"""The organisation's team: members and invitations (owners invite and revoke), leaving or
removing a member, and accepting an invitation from its e-mailed link."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from apps_registry.models import Invitation, Membership
from apps_registry.selectors import partners as selectors
from apps_registry.services import partners as partner_services
from console.forms import InvitationForm
from console.not_found import found_or_404
from console.second_factor import second_factor_for_secrets, session_assurance
from console.views.actions import ObjectActionView
from console.views.partner.base import PartnerMixin
from core.errors import DomainError
from core.forms import show_refusal


# A member may rotate client secrets, so an owner invites one only as they would see a secret.
@method_decorator(second_factor_for_secrets, name="post")
class TeamView(PartnerMixin, View):
    def get(self, request):
        return self._render(InvitationForm())

    def post(self, request):
        """Invite someone (owners only, with a recent second factor; the service refuses everyone
        else)."""
        form = InvitationForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                invitation, _token = partner_services.invitation_create(
                    partner=self.partner,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    acting_user=request.user,
                    base_url=request.build_absolute_uri("/"),
                    assurance=session_assurance(request),
                )
            except DomainError as error:
                status = show_refusal(form, error)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("partner:team")
        return self._render(form, status=status)

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


class InvitationRevokeView(PartnerMixin, ObjectActionView):
    def get_object(self) -> Invitation:
        return found_or_404(
            selectors.invitation_get_for_user(
                user=self.request.user, invitation_id=self.kwargs["invitation_id"]
            ),
            Invitation,
        )

    def perform(self, invitation: Invitation) -> str:
        partner_services.invitation_revoke(
            invitation_id=invitation.pk, acting_user=self.request.user
        )
        return f"The invitation for {invitation.email} was withdrawn."

    def redirect_url(self, invitation: Invitation) -> str:
        return reverse("partner:team")


class MemberRemoveView(PartnerMixin, ObjectActionView):
    """An owner removes a member, or a member leaves (then the team page is no longer theirs)."""

    def get_object(self) -> Membership:
        return found_or_404(
            selectors.membership_get_for_user(
                user=self.request.user, membership_id=self.kwargs["membership_id"]
            ),
            Membership,
        )

    def perform(self, membership: Membership) -> str:
        partner_services.membership_remove(
            membership_id=membership.pk, acting_user=self.request.user
        )
        if self._is_leaving(membership):
            return f"You left {membership.partner.name}."
        return f"{membership.user.email} was removed from the organisation."

    def redirect_url(self, membership: Membership) -> str:
        return reverse("partner:team")

    def success_url(self, membership: Membership) -> str:
        if self._is_leaving(membership):
            return reverse("partner:dashboard")
        return reverse("partner:team")

    def _is_leaving(self, membership: Membership) -> bool:
        return membership.user_id == self.request.user.pk


@method_decorator(never_cache, name="dispatch")
class InvitationAcceptView(View):
    """The link in an invitation e-mail: sign in (or up) with the invited address, then join."""

    def get(self, request, token: str):
        invitation = selectors.invitation_get_by_token(raw_token=token)
        try:
            partner_services.invitation_check_usable(invitation)
        except DomainError as error:
            return self._render(invitation=None, error=error.message, status=error.status)
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
            return self._render(invitation=invitation, error=error.message, status=error.status)
        messages.success(request, f"You joined {membership.partner.name}.")
        return redirect("partner:dashboard")

    def _render(self, *, invitation, error: str = "", status: int = 200):
        return render(
            self.request,
            "console/invitation_accept.html",
            {"invitation": invitation, "error": error},
            status=status,
        )
