"""The certificates' part of the URL × role × centre matrix (see tests/matrix_plans.py).

Each site's centre gets a keyed batch with one certificate of the site's learner (nobody
claimed it, so it carries one difference) and a previewed certificates import."""


def fill(world, key, site) -> None:
    import datetime as dt

    from accounts.roles import Role
    from certification import services
    from certification.models import CertificateBatch, CertificateImport

    eo = world.user(key, Role.EXAMS_OFFICER)
    batch = services.new_batch(
        site.centre, received_on=dt.date(2026, 9, 1), by=eo, how=CertificateBatch.How.KEYED
    )
    (cert,) = services.record_certificates(
        batch,
        [
            {
                "certificate_number": f"MX{site.centre.number}",
                "uln": "",
                "registration_number": f"MXR{site.centre.number}",
                "surname": site.marker,
                "forenames": "X",
                "date_of_birth": None,
                "qualification_number": site.cohort.qualification.number,
                "award_grade": "P",
                "units": [],
            }
        ],
        by=eo,
    )
    cert.learner = site.learner
    cert.qualification = site.cohort.qualification
    cert.save(update_fields=["learner", "qualification"])
    site.extra["cert_batch"] = batch
    site.extra["certificate"] = cert
    site.extra["cert_exception"] = batch.exceptions.get()
    site.extra["cert_import"] = CertificateImport.objects.create(
        centre=site.centre,
        file_name="mx-certificates.csv",
        file_sha256="",
        status=CertificateImport.Status.PREVIEWED,
    )


def makers(site) -> dict:
    from certification.models import (
        Certificate,
        CertificateBatch,
        CertificateException,
        CertificateImport,
    )

    return {
        **{
            name: site(lambda s: {"pk": s.extra["cert_batch"].pk}, CertificateBatch)
            for name in (
                "certification:batch",
                "certification:batch_add",
                "certification:batch_check",
            )
        },
        "certification:certificate": site(lambda s: {"pk": s.extra["certificate"].pk}, Certificate),
        "certification:exception": site(
            lambda s: {"pk": s.extra["cert_exception"].pk}, CertificateException
        ),
        **{
            name: site(lambda s: {"pk": s.extra["cert_import"].pk}, CertificateImport)
            for name in ("certification:import_confirm", "certification:import_discard")
        },
    }
