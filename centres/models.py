from django.db import models

from .validators import validate_centre_number


class Centre(models.Model):
    """A Pearson-approved centre, known by its five-digit centre number.

    Everything a user may see is scoped by centre (see accounts.permissions).
    """

    number = models.CharField(
        "Pearson centre number", max_length=5, unique=True, validators=[validate_centre_number]
    )
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    email = models.EmailField("exams office e-mail", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__regex=r"^[0-9]{5}$"),
                name="centre_number_five_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"
