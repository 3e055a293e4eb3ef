"""What the trail says about roles."""

from audit.actions import register_action

ROLE_GRANTED = register_action(
    "accounts.role.granted", "Role granted", "{actor} gave {object}", replaces=["role.granted"]
)
ROLE_REVOKED = register_action(
    "accounts.role.revoked", "Role revoked", "{actor} took away {object}", replaces=["role.revoked"]
)
