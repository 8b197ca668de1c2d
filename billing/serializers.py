from rest_framework import serializers

from .models import Entry


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = ["id", "kind", "amount_cents", "balance_after_cents", "created_at", "memo"]
