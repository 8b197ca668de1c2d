"""The schema says what the API does: list POSTs answer a plain list, DELETE 204, the
402/409 answers are documented, `page` is a whole number from 1, and every error body
is the documented `{"field": ["message"]}`."""

import pytest
from rest_framework.test import APIClient

from marketplace.errors import flat_errors
from tests.factories import ContractorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema():
    return APIClient().get("/api/schema/?format=json").json()


def test_subscribing_documents_a_plain_list_and_its_money_errors(schema):
    post = schema["paths"]["/api/v1/territory-subscriptions/"]["post"]
    created = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"type": "array", "items": {"$ref": "#/components/schemas/Subscription"}}
    assert {"402", "409"} <= set(post["responses"])
    assert "parameters" not in post or all(p["name"] != "page" for p in post["parameters"])


def test_accept_and_decline_document_402_and_409(schema):
    accept = schema["paths"]["/api/v1/offers/{offer_id}/accept/"]["post"]["responses"]
    decline = schema["paths"]["/api/v1/offers/{offer_id}/decline/"]["post"]["responses"]
    assert {"402", "409"} <= set(accept) and "409" in decline
    error = {"$ref": "#/components/schemas/Error"}
    assert accept["402"]["content"]["application/json"]["schema"] == error
    assert decline["409"]["content"]["application/json"]["schema"] == error


def test_delete_is_documented_and_answers_204(schema):
    delete = schema["paths"]["/api/v1/territory-subscriptions/{subscription_id}/"]["delete"]
    assert "204" in delete["responses"] and "200" not in delete["responses"]
    assert "content" not in delete["responses"]["204"]


def test_every_list_documents_page_from_1(schema):
    pages = [
        parameter["schema"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page"
    ]
    assert len(pages) == 9  # calls/ is the ninth list
    assert all(page["minimum"] == 1 for page in pages)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "", "1.5", "99999999999", "١"])
def test_an_invalid_page_is_a_400(contractor_api, page):
    response = contractor_api.get("/api/v1/ledger/", {"page": page})
    assert response.status_code == 400
    assert response.json() == {"page": ["A page is a whole number from 1 to 2147483647."]}


@pytest.mark.parametrize("url", ["/api/v1/ledger/", "/api/v1/analytics/"])
def test_a_page_past_the_last_is_a_404(contractor_api, url):
    assert contractor_api.get(url, {"page": "1"}).status_code == 200
    response = contractor_api.get(url, {"page": "2147483647"})
    assert response.status_code == 404
    assert response.json() == {"non_field_errors": ["Page 2147483647 is past the last page."]}


def test_nested_errors_are_flat_by_path():
    assert flat_errors({"purchase": {"lead_id": ["Required."]}}) == {
        "purchase.lead_id": ["Required."]
    }
    assert flat_errors({"zip_codes": {0: ["Bad zip."], 2: ["Bad zip."]}, "x": "y"}) == {
        "zip_codes": ["Bad zip."],
        "x": ["y"],
    }
    assert flat_errors([{}, {"a": ["b"]}]) == {"a": ["b"]}
    assert flat_errors(["one", "two"]) == {"non_field_errors": ["one", "two"]}


def test_a_nested_validation_error_answers_the_documented_shape(contractor_api, metro_zips):
    ContractorFactory()
    response = contractor_api.post(
        "/api/v1/territory-subscriptions/",
        {"zip_codes": [["78701"]], "category": "plumbing"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in body.values()
    ), body
