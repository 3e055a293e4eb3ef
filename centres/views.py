from django.shortcuts import render

from accounts.permissions import requires

from .permissions import VIEW_REPORTS
from .selectors import centre_summaries


@requires(VIEW_REPORTS)
def summary(request):
    return render(request, "centres/summary.html", {"centres": centre_summaries(request.user)})
