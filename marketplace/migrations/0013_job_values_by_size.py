"""What a small and a large job of each category is worth, beside its typical (medium) one.

The estimate of a lead was the typical value times ½ (small) or 2 (large): a roof repair of a
few cracked tiles came out at $4,750, half a new roof. Each category now carries a value per
size, filled here for the seeded catalog from what such jobs usually cost (a repair or quick
job, a typical job, a replacement or big project) and editable by ops in the admin."""

import django.core.validators
from django.db import migrations, models

# slug: (small, large) in cents; the typical (medium) value is the category's existing one.
VALUES_BY_SIZE = {
    "plumbing": (20_000, 250_000),  # fix a leak or a clog / repipe, water heater
    "electrical": (20_000, 250_000),  # an outlet or a fixture / a panel upgrade
    "hvac": (30_000, 900_000),  # a repair or tune-up / a new system
    "roofing": (75_000, 2_000_000),  # replace a few shingles or tiles / a large new roof
    "kitchen-remodeling": (400_000, 6_000_000),  # counters or a backsplash / a full remodel
    "bathroom-remodeling": (150_000, 3_000_000),  # re-tile a shower, a vanity / gut and redo
    "painting": (60_000, 900_000),  # one room / a whole exterior
    "flooring": (80_000, 1_200_000),  # a repair or a small room / a whole floor
    "landscaping": (50_000, 1_500_000),  # planting, a repair / a full redesign
    "handyman": (15_000, 150_000),  # an hour or two / several days of work
    "house-cleaning": (12_000, 50_000),  # a regular clean / a move-out deep clean
    "pest-control": (15_000, 250_000),  # one treatment / termite fumigation
    "windows-doors": (40_000, 1_500_000),  # repair one / replace them all
    "siding": (80_000, 2_500_000),  # repair a section / re-side the house
    "gutters": (20_000, 300_000),  # a repair / new gutters and guards
    "fencing": (50_000, 900_000),  # repair a section / a long new fence
    "concrete-masonry": (60_000, 1_200_000),  # steps or a crack / a new driveway
    "tree-service": (30_000, 300_000),  # trimming / removing large trees
    "garage-doors": (20_000, 350_000),  # a spring or opener / a double door replaced
    "appliance-repair": (15_000, 60_000),  # a service call / a major repair
    "decks-patios": (70_000, 2_000_000),  # a repair or stain / a large new deck
    "insulation": (60_000, 600_000),  # a small area / a whole house
}


def values_for(slug, typical):
    """The seeded values, or for a category ops added: 30% and 2.5 times its typical value."""
    if slug in VALUES_BY_SIZE:
        return VALUES_BY_SIZE[slug]
    return max(1, typical * 3 // 10), typical * 5 // 2


def fill(apps, schema_editor):
    for model in ["ServiceCategory", "HistoricalServiceCategory"]:
        rows = apps.get_model("marketplace", model).objects.all()
        for row in rows:
            row.small_job_value_cents, row.large_job_value_cents = values_for(
                row.slug, row.typical_job_value_cents
            )
        rows.model.objects.bulk_update(rows, ["small_job_value_cents", "large_job_value_cents"])


def size_field(help_text, minimum, *, null):
    return models.PositiveIntegerField(
        null=null,
        help_text=help_text,
        validators=[django.core.validators.MinValueValidator(minimum)],
    )


SMALL_HELP = "A small job (a repair or a quick job) in cents: the estimate of a lead marked Small."
TYPICAL_HELP = "A typical job in cents: the estimate of a lead marked Medium."
LARGE_HELP = (
    "A large job (a replacement or a big project) in cents: the estimate of a lead marked Large."
)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0012_deactivate_contractor_permission")]

    operations = [
        *[
            migrations.AddField(
                model_name=model,
                name=name,
                field=size_field(help_text, minimum, null=True),
            )
            for model in ["servicecategory", "historicalservicecategory"]
            for name, help_text, minimum in [
                ("small_job_value_cents", SMALL_HELP, 1),
                ("large_job_value_cents", LARGE_HELP, 100),
            ]
        ],
        migrations.RunPython(fill, migrations.RunPython.noop),
        *[
            migrations.AlterField(
                model_name=model,
                name=name,
                field=size_field(help_text, minimum, null=False),
            )
            for model in ["servicecategory", "historicalservicecategory"]
            for name, help_text, minimum in [
                ("small_job_value_cents", SMALL_HELP, 1),
                ("typical_job_value_cents", TYPICAL_HELP, 100),
                ("large_job_value_cents", LARGE_HELP, 100),
            ]
        ],
        migrations.AddConstraint(
            model_name="servicecategory",
            constraint=models.CheckConstraint(
                condition=models.Q(small_job_value_cents__gt=0)
                & models.Q(small_job_value_cents__lt=models.F("typical_job_value_cents"))
                & models.Q(typical_job_value_cents__lt=models.F("large_job_value_cents")),
                name="category_job_values_by_size_in_order",
                violation_error_message="A small job must be worth less than a typical one, "
                "and a typical one less than a large one.",
            ),
        ),
    ]
