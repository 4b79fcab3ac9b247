"""The questionnaire's wording, labels and length limits are defined once, next to the answer
fields; the page's form, the API, the timeline and the reviewers' labels take them from there."""

from django import forms

from apps_registry.models import AccessRequest
from apps_registry.selectors.access_requests import answer_label
from console.api.partner import AccessRequestCreateInputSerializer
from console.forms import AccessRequestForm
from console.views.partner.presenters import ANSWER_LABELS


def test_form_and_api_ask_the_same_questions_with_the_same_limits():
    form_fields = AccessRequestForm.base_fields
    api_fields = AccessRequestCreateInputSerializer().fields

    assert tuple(form_fields) == AccessRequest.ANSWER_FIELDS
    for question in AccessRequest.ANSWER_QUESTIONS:
        assert form_fields[question.field].label == question.question
        if question.field != "endpoints_used":  # ticked on the page (the service checks length)
            assert form_fields[question.field].max_length == question.max_length
        assert api_fields[question.field].max_length == question.max_length
        assert ANSWER_LABELS[question.field] == question.question
        assert answer_label(question.field) == question.label


def test_the_page_asks_for_the_endpoints_as_a_checklist_of_the_scopes_own():
    assert isinstance(AccessRequestForm.base_fields["endpoints_used"], forms.MultipleChoiceField)


def test_the_demo_url_limit_is_the_model_fields_own():
    demo_url = AccessRequest._meta.get_field("demo_url")

    assert AccessRequest.answer_question("demo_url").max_length == demo_url.max_length
