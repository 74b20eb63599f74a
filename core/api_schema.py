"""OpenAPI postprocessing: document the error responses every operation can give.

drf-spectacular documents the success responses a view declares. The framework itself
adds error responses that every operation can return (found by the fuzzer, issue 8):
400 when a body or query is malformed or invalid, 401 without credentials, 403 outside
the caller's scope, 404 for an id that does not exist (or is out of scope), 405 for a
method the endpoint does not allow, 415 for a body in a media type it cannot read. This
hook adds them where a view did not declare its own, and widens a declared 400 with DRF's
generic error shape (a parse error is ``{"detail": ...}`` whatever the view's own 400 body
is). Success responses are untouched.
"""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "ErrorDetail"
VALIDATION_COMPONENT = "ValidationErrors"

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` says what went wrong.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_SCHEMA = {
    "description": "Invalid input: `detail`, or the messages per field (or per item of a list).",
    "anyOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {}},
    ],
}

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: Any) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_COMPONENT, ERROR_SCHEMA)
    schemas.setdefault(VALIDATION_COMPONENT, VALIDATION_SCHEMA)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            has_path_id = "{" in path
            takes_input = bool(operation.get("requestBody")) or any(
                p.get("in") == "query" for p in operation.get("parameters", [])
            )
            if takes_input or method in {"post", "put", "patch"}:
                declared = responses.get("400")
                if declared is None:
                    responses["400"] = _json(_ref(VALIDATION_COMPONENT), "Invalid input.")
                else:
                    for media in declared.get("content", {}).values():
                        schema = media.get("schema")
                        if schema is not None and "anyOf" not in schema:
                            media["schema"] = {"anyOf": [schema, _ref(VALIDATION_COMPONENT)]}
            if operation.get("security") != [{}] and not any(not s for s in operation.get("security", [])):
                responses.setdefault("401", _json(_ref(ERROR_COMPONENT), "No valid credentials."))
                responses.setdefault("403", _json(_ref(ERROR_COMPONENT), "Not allowed for this user."))
            # A path id, a page number past the end, or an id in the body that does not exist.
            names = {p.get("name") for p in operation.get("parameters", [])}
            if has_path_id or "page" in names or operation.get("requestBody"):
                responses.setdefault("404", _json(_ref(ERROR_COMPONENT), "No such object in the caller's scope."))
            responses.setdefault("405", _json(_ref(ERROR_COMPONENT), "Method not allowed."))
            # DRF's answer to a body it has no parser for (or whose media type it cannot read).
            if operation.get("requestBody"):
                responses.setdefault("415", _json(_ref(ERROR_COMPONENT), "Unsupported media type."))
    return result
