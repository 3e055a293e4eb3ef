"""Pearson's results import's part of the URL × role × centre matrix (see tests/matrix_plans.py).

The upload page has no object; its confirm and discard are about one import, kept at each
site's centre."""


def fill(world, key, site) -> None:
    """Add a previewed results import at the site's centre (confirming it is refused: it has
    no kept file, so nothing is written whoever may post)."""
    from claims.models import ResultsImport

    site.extra["results_import"] = ResultsImport.objects.create(
        centre=site.centre,
        file_name="mx-results.csv",
        file_sha256="",
        status=ResultsImport.Status.PREVIEWED,
    )


def makers(site) -> dict:
    from claims.models import ResultsImport

    return {
        name: site(lambda s: {"pk": s.extra["results_import"].pk}, ResultsImport)
        for name in ("claims:results_import_confirm", "claims:results_import_discard")
    }
