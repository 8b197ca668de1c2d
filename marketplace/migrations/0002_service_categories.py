from django.db import migrations

# name, slug, typical job value in cents, short description
CATEGORIES = [
    ("Plumbing", "plumbing", 45_000, "Leaks, drains, fixtures, water heaters, repiping"),
    ("Electrical", "electrical", 40_000, "Wiring, panels, outlets, lighting, EV chargers"),
    ("HVAC", "hvac", 150_000, "Heating and air conditioning repair and replacement"),
    ("Roofing", "roofing", 950_000, "Roof repair, replacement and inspections"),
    ("Kitchen remodeling", "kitchen-remodeling", 2_500_000, "Cabinets, counters, full remodels"),
    ("Bathroom remodeling", "bathroom-remodeling", 1_200_000, "Showers, tubs, vanities, tile"),
    ("Painting", "painting", 350_000, "Interior and exterior painting"),
    ("Flooring", "flooring", 450_000, "Hardwood, tile, vinyl and carpet installation"),
    ("Landscaping", "landscaping", 300_000, "Design, planting, irrigation, lawn care"),
    ("Handyman", "handyman", 35_000, "Small repairs and odd jobs around the house"),
    ("House cleaning", "house-cleaning", 20_000, "Regular, deep and move-out cleaning"),
    ("Pest control", "pest-control", 30_000, "Insects, rodents, termites"),
    ("Windows and doors", "windows-doors", 600_000, "Window and door replacement"),
    ("Siding", "siding", 1_200_000, "Vinyl, fiber cement and wood siding"),
    ("Gutters", "gutters", 120_000, "Gutter installation, repair and guards"),
    ("Fencing", "fencing", 400_000, "Wood, vinyl, chain-link and metal fences"),
    ("Concrete and masonry", "concrete-masonry", 450_000, "Driveways, patios, brick and stone"),
    ("Tree service", "tree-service", 100_000, "Trimming, removal, stump grinding"),
    ("Garage doors", "garage-doors", 120_000, "Garage door repair, openers, replacement"),
    ("Appliance repair", "appliance-repair", 25_000, "Washers, dryers, fridges, ovens"),
    ("Decks and patios", "decks-patios", 800_000, "Deck building, repair and staining"),
    ("Insulation", "insulation", 250_000, "Attic, wall and crawl-space insulation"),
]


def add_categories(apps, schema_editor):
    ServiceCategory = apps.get_model("marketplace", "ServiceCategory")
    for name, slug, value, description in CATEGORIES:
        ServiceCategory.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "typical_job_value_cents": value, "description": description},
        )


def remove_categories(apps, schema_editor):
    ServiceCategory = apps.get_model("marketplace", "ServiceCategory")
    ServiceCategory.objects.filter(slug__in=[c[1] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]
    operations = [migrations.RunPython(add_categories, remove_categories)]
