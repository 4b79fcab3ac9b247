"""catalog URLs."""

urlpatterns: list = []
