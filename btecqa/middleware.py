"""Responses to a signed-in person are never cached: Cache-Control: no-store, Pragma: no-cache.

Every page and download behind the log-in carries personal data (learner pages, the audit
trail, XLSX and PDF exports), and a shared computer's browser cache or a proxy must not keep
it. One middleware, so a new view cannot forget. Static files never reach it: WhiteNoise,
earlier in MIDDLEWARE, answers them first and they stay cacheable.
"""

from django.utils.cache import add_never_cache_headers


class NoStoreForSignedIn:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
            response["Pragma"] = "no-cache"  # HTTP/1.0 caches
        return response
