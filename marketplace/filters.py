"""List filters that refuse what the schema refuses."""

from django import forms
from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter reads `?status=` as "no filter" and an unknown choice as a 400; here
    an empty value is a 400 too, since the schema's enum has no empty member."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            empty = [
                name
                for name in filterset_class.base_filters
                if name in request.query_params and not request.query_params[name].strip()
            ]
            if empty:
                raise ValidationError({name: ["Give a value, or leave it out."] for name in empty})
        return super().filter_queryset(request, queryset, view)


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false`, as the schema's boolean is written in a query string; django-filter's
    own field reads anything else (`maybe`) as "no filter"."""

    widget = forms.TextInput  # the raw text: NullBooleanSelect reads "maybe" as None

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Give true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(BooleanFilter):
    field_class = StrictBooleanField
