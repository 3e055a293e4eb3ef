"""What the arrangements workflow asks people to do (to-do kinds)."""

from accounts.roles import Role
from audit.actions import register_action
from todos.kinds import register_kind

TELL_PEARSON = register_kind(
    "arrangement.tell_pearson",
    "Tell Pearson about a change to the arrangement",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
    link="centres:arrangement_list",
)
RESPOND = register_kind(
    "arrangement.respond",
    "Accept or refuse an invitation into an arrangement",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
    link="centres:arrangement_list",
)
AWAIT_REPLY = register_kind(
    "arrangement.await_reply",
    "Follow up an invitation the partner has not answered",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
    link="centres:arrangement_list",
)
NOTE_CHANGE = register_kind(
    "arrangement.note_change",
    "Note a change the other centre made to the arrangement",
    owner=Role.QUALITY_NOMINEE,
    due_days=7,
    link="centres:arrangement_list",
)
RECORD_APPROVAL = register_kind(
    "arrangement.record_approval",
    "Record the centre's Pearson approval for a shared qualification",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
    link="centres:arrangement_list",
)


# --- what the trail says ------------------------------------------------------------------
_ = register_action
CENTRE_CREATED = _(
    "centres.centre.created", "Centre added", "{actor} added {object}", replaces=["centre.created"]
)
ARRANGEMENT_CREATED = _(
    "centres.arrangement.created",
    "Arrangement created",
    "{actor} created the collaborative arrangement {object}",
    replaces=["arrangement.created"],
)
PARTNER_INVITED = _(
    "centres.partner.invited",
    "Centre invited into an arrangement",
    "{actor} invited {object}: nothing is shared until it accepts",
    replaces=["arrangement.partner_invited"],
)
PARTNER_ACCEPTED = _(
    "centres.partner.accepted",
    "Invitation accepted",
    "{actor} accepted: {object} from {joined_on}",
    replaces=["arrangement.invitation_accepted"],
)
PARTNER_REFUSED = _(
    "centres.partner.refused",
    "Invitation refused",
    "{actor} refused {object}: {reason}",
    replaces=["arrangement.invitation_refused"],
)
PARTNER_WITHDRAWN = _(
    "centres.partner.withdrawn",
    "Partner withdrawn",
    "{actor} withdrew {object} on {withdrawn_on} ({reason})",
    replaces=["arrangement.partner_withdrawn", "arrangement.partner_added"],
)
QUALIFICATION_ADDED = _(
    "centres.arrangement_qualification.added",
    "Qualification added to an arrangement",
    "{actor} added {object} (Lead IV {lead_iv})",
    replaces=["arrangement.qualification_added"],
)
QUALIFICATION_WITHDRAWN = _(
    "centres.arrangement_qualification.withdrawn",
    "Qualification withdrawn from an arrangement",
    "{actor} withdrew {object} on {withdrawn_on}",
    replaces=["arrangement.qualification_withdrawn"],
)
PEARSON_TOLD = _(
    "centres.arrangement.pearson_told",
    "Pearson told of a change",
    "{actor} recorded that Pearson was told on {told_on} (reference {reference})",
    replaces=["arrangement.pearson_told"],
)
APPROVAL_RECORDED = _(
    "centres.approval.recorded",
    "Pearson approval recorded",
    "{actor} recorded Pearson's approval {reference} of {approved_on}: {object}",
    replaces=["centre.approval_recorded"],
)
