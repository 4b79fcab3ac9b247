"""The reviewer's decision pages: each decision's form, the service it calls and the words around
it. AccessRequestAdmin serves them as confirm pages (action_pages.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from apps_registry.models import AccessRequest, ReviewEvent
from apps_registry.selectors import access_requests as queue
from apps_registry.services import reviews


class VersionedForm(forms.Form):
    """Carries the version the reviewer saw, so a stale page cannot decide (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ApproveForm(VersionedForm):
    expires_on = forms.DateField(
        required=False,
        label="Approval ends on",
        help_text=f"Empty means {settings.APPROVAL_DEFAULT_DAYS} days from today.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Note to the partner"
    )

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on is not None and expires_on <= timezone.localdate():
            raise forms.ValidationError("Pick a date after today.")
        return expires_on

    def service_kwargs(self) -> dict:
        expires_on = self.cleaned_data["expires_on"]
        expires_at = (
            timezone.make_aware(datetime.combine(expires_on, datetime.max.time()))
            if expires_on
            else None
        )
        return {"expires_at": expires_at, "comment": self.cleaned_data["comment"]}


class ReasonForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reason (the partner sees it)",
        error_messages={"required": "Write a reason: the partner sees it and needs it to act."},
    )

    def service_kwargs(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class RequestChangesForm(VersionedForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What should change (the partner sees it)",
        error_messages={"required": "Say what the partner should change."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in AccessRequest.ANSWER_FIELDS:
            label = queue.answer_label(field)
            self.fields[f"comment_{field}"] = forms.CharField(
                required=False,
                label=f"Comment on “{label}”",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def service_kwargs(self) -> dict:
        return {
            "comment": self.cleaned_data["comment"],
            "field_comments": {
                field: self.cleaned_data[f"comment_{field}"]
                for field in AccessRequest.ANSWER_FIELDS
                if self.cleaned_data[f"comment_{field}"].strip()
            },
        }


def action_slug(action: str) -> str:
    """A review action's URL segment on the request's admin page, e.g. `request-changes`."""
    return action.replace("_", "-")


@dataclass(frozen=True, kw_only=True)
class Decision:
    """One decision page: the workflow action, its form, the service it calls and the words
    around it."""

    action: ReviewEvent.Action
    title: str
    form: type[VersionedForm]
    service: Callable
    button: str

    @property
    def slug(self) -> str:
        """The page's URL segment, e.g. `request-changes`."""
        return action_slug(self.action)

    @property
    def done(self) -> str:
        """What the page reports once decided: the action's own label ("Changes requested")."""
        return self.action.label


DECISIONS = {
    decision.slug: decision
    for decision in (
        Decision(
            action=ReviewEvent.Action.APPROVE,
            title="Approve",
            button="Approve",
            form=ApproveForm,
            service=reviews.access_request_approve,
        ),
        Decision(
            action=ReviewEvent.Action.REJECT,
            title="Reject",
            button="Reject",
            form=ReasonForm,
            service=reviews.access_request_reject,
        ),
        Decision(
            action=ReviewEvent.Action.REQUEST_CHANGES,
            title="Request changes",
            button="Send to the partner",
            form=RequestChangesForm,
            service=reviews.access_request_request_changes,
        ),
        Decision(
            action=ReviewEvent.Action.REVOKE,
            title="Revoke the approval",
            button="Revoke",
            form=ReasonForm,
            service=reviews.access_request_revoke,
        ),
    )
}
