"""The values a REST probe case sends: parameters and body of one operation.

In order of preference: the contract's ``probe.data`` (known test data on the target, the only
values intcheck did not make up), the plan's datasets where names match, the spec's examples
and defaults, and last values generated from the schema. Every value is checked against the
parameter's schema first, so a dataset value of the wrong shape never makes a valid case
invalid.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from intcheck.data import field_key
from intcheck.kinds import openapi_schema
from intcheck.kinds.openapi_schema import generate_value
from intcheck.model import display_path

if TYPE_CHECKING:
    from collections.abc import Mapping

    from intcheck.kinds.probing import DatasetIndex
    from intcheck.kinds.rest.described import OperationView, SpecView

_UNSET = object()


class Values:
    """The positive values of one operation, picked once and handed out as fresh copies."""

    def __init__(
        self,
        spec: SpecView,
        op: OperationView,
        index: DatasetIndex,
        user_data: Mapping[str, Any],
    ) -> None:
        self.spec, self.op, self.index, self.user_data = spec, op, index, user_data
        self.origin = ""  # "probe.data" once a user-given value is among them
        self.names_user_record = False  # ... and names the record addressed (last segment)
        self._params: dict[tuple[str, str], Any] | None = None
        self._body: Any = _UNSET
        self._validators: dict[tuple[str, str], Any] = {}  # (name, in) -> its validator

    def param_schema(self, param: dict[str, Any]) -> Any:
        """The parameter's schema as JSON Schema (``content`` parameters: their media's)."""
        node = param.get("schema")
        if node is None:
            media: dict[str, Any] = next(iter((param.get("content") or {}).values()), {})
            node = media.get("schema", {})
        return openapi_schema.convert(
            self.spec.resolve(node),
            direction="request",
            resolve=self.spec.original,
            openapi30=self.spec.openapi30,
        )

    def param_validator(self, param: dict[str, Any]) -> Any:
        """The parameter's schema compiled once: a python-jsonschema validator."""
        key = (param["name"], param.get("in", "query"))
        if key not in self._validators:
            schema = self.param_schema(param)
            self._validators[key] = openapi_schema.validator_for(
                {**schema, "components": self.spec.components("request")}
                if isinstance(schema, dict)
                else schema
            )
        return self._validators[key]

    def unfit(self, values: Mapping[tuple[str, str], Any], body: Any) -> str:
        """The first rule of the spec's own request schemas these values break, "" if none.

        A spec example can break its own schema, and a schema can ask what no value meets
        (``format: uuid`` with ``maxLength: 24``): sent as a valid request, the 400 a correct
        service answers would look like its defect.
        """
        for (name, where), value in values.items():
            param = self.op.param(name, where)
            if param is None or value in self.user_values(name):  # the user's word stands
                continue
            error = openapi_schema.first_error(self.param_validator(param), value, "")
            if error is not None:
                at = error["instance_pointer"]
                return f"{where} parameter {name}{at}: {error['message']}"
        if isinstance(body, dict | list) and self.op.body_pointer:
            validator = self.spec.schema(self.op.body_pointer, "request")
            error = validator.first_error(body, self.op.body_pointer)
            if error is not None:
                where = display_path(self.spec.document.path) + error["schema_location"]
                at = error["instance_pointer"] or "/"
                return f"body at {at} breaks {where}: {error['message']}"
        return ""

    def user_values(self, name: str) -> list[Any]:
        """The contract's ``probe.data`` for a name (exact, or alike: customerId ~ customer_id)."""
        if name in self.user_data:
            return list(self.user_data[name])
        key = field_key(name)
        return next((list(v) for k, v in self.user_data.items() if field_key(k) == key), [])

    def params(self) -> dict[tuple[str, str], Any]:
        """(name, in) -> value for the required parameters and those with data (a copy)."""
        if self._params is None:
            self._params = {}
            for param in self.op.params:
                where = param.get("in", "query")
                has_data = bool(
                    self.index.candidates(param["name"]) or self.user_values(param["name"])
                )
                if param.get("required") or where == "path" or has_data:
                    self._params[(param["name"], where)] = self._value(param)
        return dict(self._params)

    def body(self) -> Any:
        """The positive request body (None without one), a fresh copy."""
        if self._body is _UNSET:
            self._body = self._pick_body()
        return copy.deepcopy(self._body)

    def _value(self, param: dict[str, Any]) -> Any:
        """A valid value: probe.data, the dataset, examples, else generated.

        A DELETE never takes a user's known record (the next run would miss it), and takes
        the dataset's last value to leave the first one for the reads.
        """
        schema = self.param_schema(param)
        validator = self.param_validator(param)
        deleting = self.op.operation.method == "DELETE"
        given = [] if deleting else self.user_values(param["name"])
        if given:
            self.origin = "probe.data"
            last = self.op.operation.path.endswith("{" + param["name"] + "}")
            self.names_user_record |= param.get("in") == "path" and last
            return given[0]
        known = [v for v in self._dataset_values(param) if validator.is_valid(v)]
        if known:
            return known[-1] if deleting else known[0]
        documented = [v for _, v in named_examples(self.spec, param)]
        raw = self.spec.resolve(param.get("schema", {}))
        if isinstance(raw, dict):
            documented += [raw[k] for k in ("example", "default") if k in raw]
        valid = [v for v in documented if validator.is_valid(v)]
        if valid:
            return valid[0]
        return generate_value(schema, self.spec.components("request"), name=param["name"])

    def _dataset_values(self, param: dict[str, Any]) -> list[Any]:
        """Dataset values for ``param``; for ``/orders/{order_id}/delivery`` the deliveries'
        order ids first, since an order without a delivery answers 404."""
        name, path = param["name"], self.op.operation.path
        after = path.partition("{" + name + "}")[2].strip("/").split("/")[0]
        hinted = self.index.candidates_in(after, name) if after and "{" not in after else []
        return hinted + [v for v in self.index.candidates(name) if v not in hinted]

    def _pick_body(self) -> Any:
        if not self.op.body_pointer:
            return None
        validator = self.spec.schema(self.op.body_pointer, "request")
        schema = self.spec.body_schema(self.op.body_pointer)
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        components = self.spec.components("request")
        body = None
        record = self.index.records_like(set(props))
        if record is not None:
            body = {
                k: record[k]
                for k in props
                if k in record and valid_in(props[k], record[k], components)
            }
            body = body if validator.is_valid(body) else None
        if body is None:
            body = generate_value(schema, components, name="body")
        if isinstance(body, dict) and self.op.operation.method != "DELETE":
            for name in props:
                given = [v for v in self.user_values(name) if valid_in(props[name], v, components)]
                if given and validator.is_valid({**body, name: given[0]}):
                    body[name] = given[0]
                    self.origin = "probe.data"
        return body


def valid_in(prop_schema: Any, value: Any, components: Any) -> bool:
    """Whether ``value`` is valid for a (converted) property schema."""
    schema = (
        {**prop_schema, "components": components} if isinstance(prop_schema, dict) else prop_schema
    )
    return bool(openapi_schema.validator_for(schema).is_valid(value))


def named_examples(spec: SpecView, media: dict[str, Any]) -> list[tuple[str, Any]]:
    """A media type's (or parameter's) examples by name; ``example`` is named ``default``."""
    found = []
    for name, example in (media.get("examples") or {}).items():
        example = spec.resolve(example)
        if isinstance(example, dict) and "value" in example:
            found.append((str(name), example["value"]))
    if "example" in media:
        found.append(("default", media["example"]))
    return found


def wrong_value(schema: Any) -> str | None:
    """A string the parameter's schema forbids, or None when any string would do."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if kinds & {"integer", "number"}:
        return "not-a-number"
    if "boolean" in kinds:
        return "not-a-boolean"
    if "enum" in schema:
        return "not-in-enum"
    if "pattern" in schema:
        return "!bad-value!"
    return None
