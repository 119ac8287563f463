"""ListOperations against botocore's model of AWS IoT (2015-05-28): the routes tenet says it serves
are the model's routes, they really are served, and 200 answers carry the model's required output."""

from __future__ import annotations

import json
import re

import pytest

from support import aws as A

MODEL_PATH = "/usr/lib/python3/dist-packages/botocore/data/iot/2015-05-28/service-2.json"
# Data-plane operations (signing name "iotdata") tenet also routes. Debian 12's botocore iot-data
# model predates DeleteConnection, so its shape (from the AWS IoT data-plane API reference) is
# written here as a one-operation model.
DATA_MODEL_PATHS = [
    "/usr/lib/python3/dist-packages/botocore/data/iot-data/2015-05-28/service-2.json",
]
NEWER_DATA_OPERATIONS = {
    "operations": {
        "DeleteConnection": {"name": "DeleteConnection",
                             "http": {"method": "DELETE", "requestUri": "/connections/{clientId}"}},
    },
    "shapes": {},
}
LABEL = re.compile(r"\{([^}]+)\}")


@pytest.fixture(scope="module")
def model() -> dict:
    with open(MODEL_PATH) as f:
        return json.load(f)


def _load(path: str) -> dict | None:
    import gzip
    import os
    if not os.path.exists(path):
        return None
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def data_models() -> list[dict]:
    return [m for m in (_load(p) for p in DATA_MODEL_PATHS) if m] + [NEWER_DATA_OPERATIONS]


def _lookup(name: str, services: list[str], model: dict, data_models: list[dict]):
    """(model, operation definition) for an operation tenet serves, or (None, None)."""
    if name in model["operations"]:
        return model, model["operations"][name]
    if "iotdata" in services:
        for m in data_models:
            if name in m["operations"]:
                return m, m["operations"][name]
    return None, None


@pytest.fixture(scope="module")
def served(tenet) -> list[dict]:
    body = A.ok(A.call(tenet, "GET", "/tenet/operations"))
    ops = body["operations"]
    assert ops, "ListOperations returned nothing"
    return ops


def _fill(uri: str) -> str:
    return LABEL.sub("x", uri)


def _matches(template: str, path: str) -> bool:
    """Does a concrete path match a route template ({label} = one segment, {label+} = the rest)?"""
    rx = ""
    for part in re.split(r"(\{[^}]+\})", template.split("?")[0]):
        if part.startswith("{"):
            rx += ".+" if part.endswith("+}") else "[^/]+"
        else:
            rx += re.escape(part)
    return re.fullmatch(rx, path) is not None


def _send_model_op(srv, method: str, uri: str) -> A.Response:
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    return A.call(srv, method, _fill(uri), body=body)


def test_list_operations_shape(served):
    names = [o["operation"] for o in served]
    assert len(names) == len(set(names)), f"duplicate operations: {names}"
    routes = [(o["method"], o["requestUri"]) for o in served]
    assert len(routes) == len(set(routes)), f"duplicate routes: {routes}"
    for o in served:
        assert o["method"] in ("GET", "POST", "PUT", "PATCH", "DELETE"), o
        assert o["requestUri"].startswith("/"), o
        assert "iot" in o["services"], o
    for must in ("DescribeEndpoint", "TagResource", "UntagResource", "ListTagsForResource", "CreateAccessKey",
                 "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey", "ListOperations"):
        assert must in names, f"{must} missing from ListOperations"


def test_routes_match_model(served, model, data_models):
    for o in served:
        _, op = _lookup(o["operation"], o["services"], model, data_models)
        if op is not None:
            http = op["http"]
            assert (o["method"], o["requestUri"]) == (http["method"], http["requestUri"]), \
                f"{o['operation']}: tenet {o['method']} {o['requestUri']}, model {http['method']} {http['requestUri']}"
        else:
            assert o["requestUri"].startswith("/tenet/"), f"{o['operation']} is neither AWS IoT's nor under /tenet/"


def test_model_operations_are_served(tenet, served, model, data_models):
    failures = []
    checked = 0
    for o in served:
        m, op = _lookup(o["operation"], o["services"], model, data_models)
        if op is None:
            continue
        http = op["http"]
        r = _send_model_op(tenet, http["method"], http["requestUri"])
        checked += 1
        if r.status in (404, 405) and r.error_type in ("UnknownOperationException", "MethodNotAllowedException"):
            failures.append(f"{o['operation']} {http['method']} {_fill(http['requestUri'])}: {r!r}")
            continue
        assert r.headers.get("x-amzn-requestid"), f"{o['operation']}: no request id"
        if r.status >= 400:
            A.assert_error(r, r.status, (r.error_type or "").split(":")[0])
        if r.status == 200:
            out = op.get("output")
            if not out:
                continue
            shape = m["shapes"][out["shape"]]
            body = r.json if r.body else {}
            for name in shape.get("required", []):
                member = shape["members"][name]
                where = member.get("location")
                key = member.get("locationName", name)
                if where == "header":
                    assert key.lower() in r.headers, f"{o['operation']}: required header {key} missing"
                elif where == "statusCode":
                    continue
                else:
                    assert key in body, f"{o['operation']}: required output member {key} missing from {body}"
    assert checked >= 4, "fewer AWS operations served than DescribeEndpoint and the three tag operations"
    assert not failures, "\n".join(failures)


def test_unlisted_model_operations_are_not_served(tenet, served, model, data_models):
    """ListOperations is complete: a model route it does not list answers 404/405 (never dispatches)."""
    listed = {o["operation"] for o in served}
    wrong = []
    every = dict(model["operations"])
    for m in data_models:
        for k, v in m["operations"].items():
            every.setdefault(k, v)
    for name, op in sorted(every.items()):
        if name in listed:
            continue
        method, uri = op["http"]["method"], op["http"]["requestUri"]
        path = _fill(uri).split("?")[0]
        if any(s["method"] == method and _matches(s["requestUri"], path) for s in served):
            continue  # the concrete request also matches a listed route (e.g. a label filled with "x")
        r = _send_model_op(tenet, method, uri)
        if (r.status, r.error_type) not in ((404, "UnknownOperationException"), (405, "MethodNotAllowedException")):
            wrong.append(f"{name} {method} {path}: {r!r}")
    assert not wrong, "served but not listed:\n" + "\n".join(wrong)


def test_describe_endpoint_matches_model_output(tenet, model):
    shape = model["shapes"][model["operations"]["DescribeEndpoint"]["output"]["shape"]]
    body = A.ok(A.describe_endpoint(tenet))
    assert set(body) <= set(shape["members"]), body


def test_wrong_method_on_known_path(tenet):
    A.assert_error(A.call(tenet, "PUT", "/endpoint", body=b"{}"), 405, "MethodNotAllowedException")
    A.assert_error(A.call(tenet, "DELETE", "/tenet/operations"), 405, "MethodNotAllowedException")


def test_unknown_path(tenet):
    A.assert_error(A.call(tenet, "GET", "/no/such/route"), 404, "UnknownOperationException")
