"""What the trail says about roles."""

from audit.actions import register_action

ROLE_GRANTED = register_action(
    "accounts.role.granted", "Role granted", "{actor} gave {object}", replaces=["role.granted"]
)
ROLE_REVOKED = register_action(
    "accounts.role.revoked", "Role revoked", "{actor} took away {object}", replaces=["role.revoked"]
)

VERIFIER_GRANTED = register_action(
    "accounts.verifier.granted",
    "Standards Verifier access granted",
    "{actor} gave {object}",
)
VERIFIER_REVOKED = register_action(
    "accounts.verifier.revoked",
    "Standards Verifier access ended",
    "{actor} ended {object}",
)
VERIFIER_PAGE_VIEWED = register_action(
    "accounts.verifier.page_viewed",
    "Standards Verifier opened a page",
    "{actor} opened {method} {path} ({status})",
)
VERIFIER_REFUSED = register_action(
    "accounts.verifier.refused",
    "Standards Verifier sign-in refused",
    "{object}: sign-in refused, no live grant",
)
