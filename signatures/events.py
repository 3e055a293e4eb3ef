"""What the trail says about versions and signatures."""

from audit.actions import register_action

VERSION_MADE = register_action(
    "signatures.record.version_made",
    "Version kept",
    "{actor} kept version {version} of {object} ({reason})",
    replaces=["record.version_made"],
)
SIGNED = register_action(
    "signatures.record.signed",
    "Signed",
    "{actor} signed {object} as {role}",
    replaces=["record.signed"],
)
