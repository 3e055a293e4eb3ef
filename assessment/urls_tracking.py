"""URLs for the tracking pages (joined into assessment.urls)."""

urlpatterns: list = []
