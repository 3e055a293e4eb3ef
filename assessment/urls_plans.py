"""URLs for the plans pages (joined into assessment.urls)."""

urlpatterns: list = []
