"""The rule of combination: which optional units a learner may take on a qualification.

The figures are configuration on the Qualification (from each specification); where they
are blank only membership is checked ("is it an optional unit of this qualification").
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


def _glh_phrase(units) -> str:
    sizes = {u.glh for u in units}
    count = len(units)
    noun = "optional unit" if count == 1 else "optional units"
    size = f" of {sizes.pop()} GLH" if len(sizes) == 1 else ""
    return f"{count} {noun}{size}"


def combination_problems(
    qualification, units, *, mandatory_glh: int | None = None, rule: bool = True
) -> list[str]:
    """What is wrong with `units` as one learner's optional units (empty: nothing).

    Membership always; when the rule is configured, the number of units and their GLH
    (mandatory GLH + optional GLH must equal the qualification's GLH).
    """
    units = list(units)
    wrong = [u for u in units if u.qualification_id != qualification.pk or u.mandatory]
    if wrong:
        return [
            f"not an optional unit of {qualification.title}: "
            + ", ".join(f"unit {u.number} {u.title}" for u in wrong)
        ]
    if not rule or not qualification.has_combination_rule:
        return []
    if mandatory_glh is None:
        mandatory_glh = sum(u.glh for u in qualification.units.all() if u.mandatory)
    need_glh = qualification.optional_glh_required
    if need_glh is None:
        need_glh = qualification.glh - mandatory_glh
    need_count = qualification.optional_units_required
    chosen_glh = sum(u.glh for u in units)
    count_wrong = need_count is not None and len(units) != need_count
    if (
        not count_wrong
        and chosen_glh == need_glh
        and mandatory_glh + chosen_glh == qualification.glh
    ):
        return []
    if not count_wrong and chosen_glh == need_glh:  # the configuration disagrees with itself
        return [
            f"the mandatory units ({mandatory_glh} GLH) and the optional units "
            f"({chosen_glh} GLH) make {mandatory_glh + chosen_glh} GLH, not the "
            f"{qualification.title}'s {qualification.glh}: check its rule of combination"
        ]
    numbers = ", ".join(u.number for u in sorted(units, key=lambda u: u.sort_key))
    chosen = (
        f"{_glh_phrase(units)} chosen (unit{'s' if len(units) > 1 else ''} {numbers}: "
        f"{chosen_glh} GLH)"
        if units
        else "no optional units chosen"
    )
    needs = f"{need_count} ({need_glh} GLH)" if need_count is not None else f"{need_glh} GLH"
    return [f"{chosen}; the {qualification.title} needs {needs}"]


def check_combination(qualification, units, *, learner=None, rule: bool = True) -> None:
    """Refuse a choice of optional units that breaks the rule, naming learner and figures.

    With rule=False only membership is checked (units not chosen by anyone yet).
    """
    problems = combination_problems(qualification, units, rule=rule)
    if problems:
        text = "; ".join(problems) + "."
        if learner is not None:
            raise ValidationError(f"{learner}: {text}")
        raise ValidationError(text[:1].upper() + text[1:])
