"""The demo's policy register (policy 000-4), told after the year's assessment.

The lead centre keeps four policies. The assessment policy was reviewed in the spring,
signed by the head and by the chair of governors (recorded by the Quality Nominee); the
internal verification policy falls due within the reminder days, so its coordinator gets
the to-do at the next morning's reminders; the malpractice policy is overdue for review
(shown on the register; the demo's dashboards start with nothing overdue, so the loader
leaves the reminders to beat); the appeals policy has been monitored this year. Every
version was signed by the head and the chair. Dates are relative to the day the demo is
loaded for. A second load finds the register and stops.
"""

import datetime as dt
import io

CHAIR = "Imogen Valcourt"  # an invented chair of governors

# title, coordinator, sub-committee, reviewed (days before today), next due (days after)
POLICIES = [
    ("BTEC assessment policy", "qn", "Curriculum and Standards", 200, 165),
    ("Internal verification policy", "liv", "Curriculum and Standards", 340, 25),
    ("Malpractice policy", "eo", "Pupils and Welfare", 400, -35),
    ("Appeals policy", "qn", "Pupils and Welfare", 100, 265),
]


def _pdf(title: str, centre) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica-Bold", 16)
    page.drawString(72, 770, title)
    page.setFont("Helvetica", 11)
    page.drawString(72, 745, f"{centre.name} ({centre.number}) - demo policy text")
    page.showPage()
    page.save()
    return buffer.getvalue()


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from policies import services
    from policies.models import Policy
    from signatures import services as signing

    from .demo import DEMO_PASSWORD

    lead = centres["lead"]
    if Policy.objects.filter(centre=lead).exists():
        return 0
    qn, head = users["qn"], users["head"]
    created = 0
    for title, who, committee, reviewed_ago, due_in in POLICIES:
        reviewed_on = today - dt.timedelta(days=reviewed_ago)
        with clock.at(reviewed_on, 11):
            policy = services.add_policy(
                centre=lead,
                title=title,
                coordinator=users[who],
                sub_committee=committee,
                reviewed_on=reviewed_on,
                next_review=today + dt.timedelta(days=due_in),
                upload=SimpleUploadedFile(
                    f"{title}.pdf", _pdf(title, lead), content_type="application/pdf"
                ),
                by=qn,
            )
        created += 2
        version = policy.latest_version()
        # Each version was signed by the head and by the chair after its review.
        with clock.at(reviewed_on + dt.timedelta(days=3), 15):
            services.sign_as_head(
                version,
                user=head,
                password=DEMO_PASSWORD,
                seen_sha256=signing.current_sha256(policy),
            )
        with clock.at(reviewed_on + dt.timedelta(days=10), 9):
            services.record_chair_signature(
                version,
                chair_name=CHAIR,
                signed_on=reviewed_on + dt.timedelta(days=8),
                by=qn,
            )
        created += 2
        if title == "Appeals policy":
            year_start = dt.date(int(year[:4]), 9, 1)
            yesterday = today - dt.timedelta(days=1)
            monitored_on = min(yesterday, max(year_start, today - dt.timedelta(days=7)))
            with clock.at(monitored_on, 13):
                services.record_monitoring(
                    policy,
                    monitored_on=monitored_on,
                    outcome="no_change",
                    notes="Checked against this year's Pearson guidance; no change needed.",
                    by=qn,
                )
            created += 1
    return created
