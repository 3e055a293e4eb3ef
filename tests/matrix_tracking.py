"""The assessment tracking pages' part of the URL × role × centre matrix.

`fill` adds this area's records to one matrix site (into `site.extra`); `makers` maps
each of this area's URL names to its targets, through the matrix's `site(make, model)`.
"""


def fill(world, key, site) -> None:
    """Add this area's records for centre `key` to `site.extra`."""


def makers(site) -> dict:
    return {}
