"""oauth API (/api/v1/…)."""

urlpatterns: list = []
