"""What certification counts for the governors' annual report (centres/measures.py):
certificates received, the differences found against the claims (exceptions), and those
still not resolved by an amended certificate. The year is the academic year the batch was
received in."""

from django.db.models import Count, Q

from centres.measures import date_years_in, register_measure, register_years, tally, year_of

from .models import Certificate, CertificateBatch, CertificateException


def certificate_counts(centre_ids, years):
    rows = (
        Certificate.objects.filter(batch__centre_id__in=centre_ids)
        .annotate(year=year_of("received_on", years))
        .filter(year__in=years)
        .values("batch__centre_id", "year")
        .annotate(received=Count("pk"))
        .order_by()
    )
    return tally(rows, "batch__centre_id", "year", ("received",))


def exception_counts(centre_ids, years):
    rows = (
        CertificateException.objects.filter(batch__centre_id__in=centre_ids)
        .annotate(year=year_of("batch__received_on", years))
        .filter(year__in=years)
        .values("batch__centre_id", "year")
        .annotate(
            found=Count("pk"),
            open=Count("pk", filter=~Q(status=CertificateException.Status.RESOLVED)),
        )
        .order_by()
    )
    return tally(rows, "batch__centre_id", "year", ("found", "open"))


SECTION = "Claims and certificates"
register_measure(
    "certification.received",
    "Certificates received",
    SECTION,
    certificate_counts,
    order=10,
    part="received",
)
register_measure(
    "certification.exceptions",
    "Certificate exceptions found",
    SECTION,
    exception_counts,
    order=11,
    part="found",
)
register_measure(
    "certification.exceptions_open",
    "Certificate exceptions not yet resolved",
    SECTION,
    exception_counts,
    order=12,
    part="open",
)

register_years(
    "certification.batches",
    lambda ids: date_years_in(CertificateBatch.objects.filter(centre_id__in=ids), "received_on"),
)
