"""The OpenAPI document matches the registered routes, and is itself valid."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def test_every_route_is_documented_and_every_documented_path_exists(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert documented == _routes(app)


def test_contract_paths_are_present(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for method, path in [
        ("get", "/api/v1/openapi.json"),
        ("get", "/api/v1/offices"),
        ("get", "/api/v1/offices/{office}/services"),
        ("get", "/api/v1/offices/{office}/counters"),
        ("post", "/api/v1/offices/{office}/tickets"),
        ("get", "/api/v1/offices/{office}/board"),
        ("get", "/api/v1/track/{token}"),
        ("post", "/api/v1/counters/{counter_id}/call-next"),
        ("post", "/api/v1/tickets/{ticket_id}/recall"),
        ("post", "/api/v1/tickets/{ticket_id}/start"),
        ("post", "/api/v1/tickets/{ticket_id}/finish"),
        ("post", "/api/v1/tickets/{ticket_id}/no-show"),
        ("post", "/api/v1/tickets/{ticket_id}/transfer"),
        ("get", "/api/v1/offices/{office}/report"),
        ("post", "/api/v1/tickets/{ticket_id}/stage"),
    ]:
        assert method in spec["paths"][path], path


def test_component_schemas_are_valid_json_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_operation_documents_its_errors_with_the_error_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if op.get("security"):
                assert "401" in op["responses"] and "403" in op["responses"], (method, path)
            for status, response in op["responses"].items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)
