"""seller URLs."""

urlpatterns: list = []
