"""api URLs."""

urlpatterns: list = []
