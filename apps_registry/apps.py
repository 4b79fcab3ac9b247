from django.apps import AppConfig


class AppsRegistryConfig(AppConfig):
    name = "apps_registry"
    verbose_name = "Partners, apps and access"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from apps_registry import checks  # noqa: F401 - registers the system checks
        from apps_registry.people import display_name

        # A person shows as their name or e-mail address wherever Django prints a user (admin
        # lists, choices and history, templates): auth.User would print the username, which
        # nobody chose or knows (e-mail is the login; see apps_registry/people.py).
        get_user_model().__str__ = display_name
