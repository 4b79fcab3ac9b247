"""The landing page: what the console is and where each kind of user goes."""

from django.views.generic import TemplateView


class LandingView(TemplateView):
    template_name = "home.html"
