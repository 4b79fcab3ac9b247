"""partner URLs."""

urlpatterns: list = []
