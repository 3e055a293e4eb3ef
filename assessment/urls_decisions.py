"""URLs for the decisions pages (joined into assessment.urls)."""

urlpatterns: list = []
