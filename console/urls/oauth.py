"""oauth URLs."""

urlpatterns: list = []
