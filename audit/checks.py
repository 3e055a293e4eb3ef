from django.conf import settings
from django.core.checks import Error, Tags, register

from .keys import key_problems


@register(Tags.security, deploy=True)
def audit_key_is_fit_for_production(app_configs, **kwargs):
    """manage.py check --deploy: the audit key must be a real secret of its own."""
    return [
        Error(problem, hint="Set AUDIT_HMAC_KEY to 32+ random characters.", id="audit.E001")
        for problem in key_problems(settings.AUDIT_HMAC_KEY, settings.SECRET_KEY)
    ]
