from django.apps import AppConfig


class AppsRegistryConfig(AppConfig):
    name = "apps_registry"
    verbose_name = "Partners, apps and access"

    def ready(self) -> None:
        from apps_registry import checks  # noqa: F401 - registers the system checks
