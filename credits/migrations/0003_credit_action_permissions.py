from django.db import migrations

from marketplace.migration_helpers import grant_group_permissions, revoke_group_permissions

# Reversing a credit (a ledger debit) and crediting every buyer of an invalid lead are
# credit decisions: credit reviewers make them, with the claim's evidence in front of them.
# Finance does not get them: a reversal judges what the homeowner said against the claim,
# which is the reviewers' work; finance still corrects a balance by a reasoned adjustment.
GROUP_PERMISSIONS = {"credit reviewers": ["reverse_creditclaim", "credit_invalid_lead"]}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "credits", GROUP_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "credits", GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0002_staff_permissions"),
        ("marketplace", "0003_staff_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="creditclaim",
            options={
                "ordering": ["-filed_at"],
                "permissions": [
                    ("reverse_creditclaim", "Can reverse an approved credit (a ledger debit)"),
                    ("credit_invalid_lead", "Can mark a lead invalid and credit every buyer"),
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
