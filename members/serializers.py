from rest_framework import serializers

from grids.models import Household, Place

from .models import Link, Member


class PlaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["id", "kind", "name", "code", "parent", "depth"]


class HouseholdSerializer(serializers.ModelSerializer):
    """Phone and ID numbers leave the server masked only."""

    phone = serializers.CharField(source="phone_masked", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    categories = serializers.ListField(
        source="category_labels", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "code",
            "grid",
            "head_name",
            "address",
            "phone",
            "id_number",
            "people_count",
            "categories",
        ]


class MemberSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "phone",
            "role",
            "village_subrole",
            "is_party_member",
            "is_migrant",
            "home",
            "is_exempt",
        ]


class LinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Link
        fields = ["id", "member", "link_type", "place", "household", "migrant", "start_date", "end_date"]
