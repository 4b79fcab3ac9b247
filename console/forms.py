"""Partner console forms: they parse and label input; the services decide what is allowed."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from apps_registry.gate.decision import (
    MAX_CIPHER_LENGTH,
    MAX_URI_LENGTH,
    OriginalCall,
    original_call,
)
from apps_registry.models import (
    AccessRequest,
    Invitation,
    Membership,
    Partner,
    PartnerApp,
    WebhookTopic,
)
from apps_registry.validators import (
    MAX_REDIRECT_URIS,
    parse_redirect_uris,
    validate_display_name,
    validate_no_format_characters,
    validate_redirect_uris,
)
from scopes.models import Endpoint

REDIRECT_URIS_HELP = (
    f"One per line, at most {MAX_REDIRECT_URIS}. Each must match exactly what your app sends: "
    "https only (http is allowed for 127.0.0.1, [::1] and localhost), no wildcards, no fragments."
)


class OnboardingForm(forms.Form):
    name = forms.CharField(
        label="Organisation name",
        max_length=Partner._meta.get_field("name").max_length,
        validators=[validate_display_name],
        help_text="Your company or team, as sellers and reviewers will see it.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )


class RedirectUrisField(forms.CharField):
    """A textarea of redirect URIs, one per line, cleaned into a list."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off"})

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Redirect URIs")
        kwargs.setdefault("help_text", REDIRECT_URIS_HELP)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def clean(self, value):
        uris = parse_redirect_uris(super().clean(value) or "")
        validate_redirect_uris(uris)
        return uris


class AppDetailsForm(forms.Form):
    name = forms.CharField(
        max_length=PartnerApp._meta.get_field("name").max_length,
        validators=[validate_display_name],
        help_text="Sellers see it on the consent page.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        validators=[validate_no_format_characters],
        help_text="What the app does for sellers, in a sentence or two.",
    )
    category = forms.ChoiceField(choices=PartnerApp.Category.choices)
    homepage_url = forms.URLField(
        label="Homepage URL", required=False, assume_scheme="https", max_length=200
    )
    privacy_policy_url = forms.URLField(
        label="Privacy policy URL",
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text="Needed before the app can go live.",
    )


class AppBrandingForm(forms.Form):
    """The icon and publisher website; the service checks the file itself (ADR 0017)."""

    icon = forms.FileField(
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text="PNG, JPEG or WebP, square, at least 128x128 pixels, up to 1 MB. "
        "Shown to sellers at 256x256.",
    )
    remove_icon = forms.BooleanField(required=False, label="Remove the current icon")
    publisher_url = forms.URLField(
        label="Publisher website",
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text="Your company's https:// website; sellers see its domain.",
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Every file chosen in one input, as a list (Django's FileField keeps one)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None) -> list:
        return [super(MultipleFileField, self).clean(upload, initial) for upload in data or []]


class AttachmentsForm(forms.Form):
    """Supporting files for an application, sent along with its questionnaire."""

    attachments = MultipleFileField(
        label="Supporting files",
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": "application/pdf,image/png,image/jpeg,image/webp"}
        ),
        help_text="Screenshots or documents that show reviewers the feature: up to 5 PDF, PNG, "
        "JPEG or WebP files of at most 5 MB each.",
    )


class AppCreateForm(AppDetailsForm):
    redirect_uris = RedirectUrisField()


class RedirectUrisForm(forms.Form):
    redirect_uris = RedirectUrisField()


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Receiver URL",
        max_length=2048,
        help_text="A public https address; events are POSTed to it as signed JSON.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks"}),
    )
    topics = forms.MultipleChoiceField(
        label="Topics",
        choices=WebhookTopic.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one topic to receive."},
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=Invitation._meta.get_field("email").max_length
    )
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        initial=Membership.Role.DEVELOPER,
        help_text="Owners can also invite and remove members.",
    )


def _written_answer(field: str, *, help_text: str = "", **textarea_attrs) -> forms.CharField:
    question = AccessRequest.answer_question(field)
    return forms.CharField(
        label=question.question,
        widget=forms.Textarea(attrs={"rows": 4, **textarea_attrs}),
        max_length=question.max_length,
        help_text=help_text,
    )


class AccessRequestForm(forms.Form):
    """The questionnaire for a Custom scope; its fields are AccessRequest.ANSWER_FIELDS. The
    endpoints the app will call are ticked from the scope's own endpoints; the service checks them
    again and writes the answer from them."""

    data_usage = _written_answer(
        "data_usage", help_text="Describe the feature sellers use and the data it reads or changes."
    )
    justification = _written_answer("justification")
    endpoints_used = forms.MultipleChoiceField(
        label=AccessRequest.answer_question("endpoints_used").question,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every endpoint of this scope your app calls, and only those.",
        error_messages={
            "required": "Tick at least one endpoint your app will call.",
            "invalid_choice": "%(value)s is not an endpoint of this scope. "
            "Tick only endpoints from the list.",
        },
    )
    data_protection = _written_answer(
        "data_protection",
        help_text="Where it is kept, who can read it, encryption, and when it is deleted.",
    )
    demo_url = forms.URLField(
        label=AccessRequest.answer_question("demo_url").question,
        required=False,
        assume_scheme="https",
        max_length=AccessRequest.answer_question("demo_url").max_length,
        help_text="A video or page that shows reviewers the feature (optional; it speeds review).",
    )

    def __init__(self, *args, endpoints=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoints_used"].choices = [
            (str(endpoint), f"{endpoint} · {endpoint.title}") for endpoint in endpoints
        ]
        assert tuple(self.fields) == AccessRequest.ANSWER_FIELDS  # noqa: S101 - contract

    @classmethod
    def initial_from(cls, access_request: AccessRequest) -> dict[str, str | list[str]]:
        initial = {name: getattr(access_request, name) for name in AccessRequest.ANSWER_FIELDS}
        initial["endpoints_used"] = [
            f"{chosen['method']} {chosen['path']}" for chosen in access_request.chosen_endpoints
        ]
        return initial

    def answers(self) -> dict[str, str]:
        """The written answers; the endpoints go to the service as chosen_endpoints()."""
        return {
            name: self.cleaned_data[name] or ""
            for name in AccessRequest.ANSWER_FIELDS
            if name != "endpoints_used"
        }

    def chosen_endpoints(self) -> list[str]:
        """The ticked endpoints, "METHOD /path" each."""
        return self.cleaned_data["endpoints_used"]


REQUIREMENT_CHOICES = (("", "Not requested"), ("required", "Required"), ("optional", "Optional"))


class RequestedScopesForm(forms.Form):
    """One choice per scope available to the app: not requested, required or optional."""

    FIELD_PREFIX = "scope:"

    def __init__(self, *args, scope_keys=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        self.current = current
        for key in scope_keys:
            initial = ""
            if key in current:
                initial = "required" if current[key] else "optional"
            self.fields[self.FIELD_PREFIX + key] = forms.ChoiceField(
                choices=REQUIREMENT_CHOICES, required=False, initial=initial, label=key
            )

    def clean(self):
        cleaned = super().clean()
        unknown = [
            name[len(self.FIELD_PREFIX) :]
            for name in self.data
            if name.startswith(self.FIELD_PREFIX) and name not in self.fields
        ]
        if unknown:
            raise ValidationError(
                "These scopes are not available to this app: %(keys)s. Custom scopes need an "
                "approved application first.",
                params={"keys": ", ".join(sorted(unknown))},
            )
        return cleaned

    def selections(self) -> dict[str, bool]:
        """{scope key: is_required} for every scope set to required or optional.

        A filtered page posts only the scopes it shows; the others keep their current choice
        while they are still available (one retired or no longer approved is dropped).
        """
        selections = {
            key: is_required
            for key, is_required in self.current.items()
            if self.FIELD_PREFIX + key in self.fields
        }
        for name, value in self.cleaned_data.items():
            key = name[len(self.FIELD_PREFIX) :]
            if name not in self.data:
                continue
            if value:
                selections[key] = value == "required"
            else:
                selections.pop(key, None)
        return selections

    def bound_field_for(self, key: str):
        return self[self.FIELD_PREFIX + key]


EXAMPLE_CALL_PATH = "/product/202309/products/123"


class GateExplainForm(forms.Form):
    """A call to explain, as the gateway would forward it: the shop field plays the part of the
    X-Shop-Cipher header beside any shop_cipher in the path's query."""

    method = forms.ChoiceField(
        # Methods as written on the wire (the labels would read "Get").
        choices=[(method, method) for method in Endpoint.Method.values],
        initial=Endpoint.Method.GET,
        error_messages={
            "required": "Choose the call's method.",
            "invalid_choice": "Choose one of the catalog's methods: "
            + ", ".join(Endpoint.Method.values)
            + ".",
        },
    )
    path = forms.CharField(
        max_length=MAX_URI_LENGTH,
        help_text=f"The path your app called, e.g. {EXAMPLE_CALL_PATH}, with its query string "
        "(shop_cipher=…) if you like, or the whole URL.",
        error_messages={
            "required": f"Enter the path your app called, e.g. {EXAMPLE_CALL_PATH}.",
            "max_length": f"The path is too long: at most {MAX_URI_LENGTH} characters.",
        },
        widget=forms.TextInput(
            attrs={"placeholder": EXAMPLE_CALL_PATH, "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    shop = forms.CharField(
        label="Shop cipher",
        required=False,
        max_length=MAX_CIPHER_LENGTH,
        help_text="The shop the call is for. Its seller's consent decides which scopes the call "
        "may use, even for endpoints that need no shop.",
        error_messages={
            "max_length": f"A shop cipher is at most {MAX_CIPHER_LENGTH} characters.",
        },
        widget=forms.TextInput(
            attrs={"list": "authorized-shops", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )

    def clean_path(self) -> str:
        """A path with its query; a pasted URL is cut down to them, as the gateway forwards it."""
        path = self.cleaned_data["path"]
        if path.lower().startswith(("https://", "http://")):
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith("/"):
            raise ValidationError(
                f"Enter a path that starts with /, e.g. {EXAMPLE_CALL_PATH}, or the call's whole "
                "URL."
            )
        return path

    def call(self) -> OriginalCall:
        """The call as the gate parses it; only for a valid form, whose fields the parser takes."""
        call = original_call(
            method=self.cleaned_data["method"],
            uri=self.cleaned_data["path"],
            shop_header=self.cleaned_data["shop"],
        )
        assert call is not None  # noqa: S101 - the fields are validated to what it accepts
        return call
