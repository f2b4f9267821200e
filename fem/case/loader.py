"""Read, override, validate and resolve a case file into SI (:class:`fem.case.model.Case`).

Validation happens entirely here, before any mesh or solver is touched: structure and types
through the JSON schema (:mod:`fem.case.schema`), units and ranges through the ``quantity``
keyword, then the cross-field rules in :func:`fem.case.resolve.resolve`.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import validators

from fem.case.schema import SCHEMA
from fem.errors import CaseError
from fem.units import EXAMPLES, to_si


def _quantity(validator, spec, instance, schema):  # noqa: ARG001 - jsonschema signature
    """JSON-schema keyword ``quantity``: a string with units of a dimension, bounds in SI."""
    if not isinstance(instance, str):
        return
    try:
        value = to_si(instance, spec["dimension"], "")
    except CaseError as exc:
        yield jsonschema.ValidationError(exc.allowed)
        return
    ex = EXAMPLES[spec["dimension"]]
    if "exclusiveMinimum" in spec and not value > spec["exclusiveMinimum"]:
        yield jsonschema.ValidationError(f"must be > {spec['exclusiveMinimum']:g} (SI), e.g. {ex}")
    if "minimum" in spec and not value >= spec["minimum"]:
        yield jsonschema.ValidationError(f"must be >= {spec['minimum']:g} (SI), e.g. {ex}")
    if "maximum" in spec and not value <= spec["maximum"]:
        yield jsonschema.ValidationError(f"must be <= {spec['maximum']:g} (SI), e.g. {ex}")
    if "exclusiveMaximum" in spec and not value < spec["exclusiveMaximum"]:
        yield jsonschema.ValidationError(f"must be < {spec['exclusiveMaximum']:g} (SI), e.g. {ex}")


def _is_integer(checker, instance) -> bool:  # noqa: ARG001 - jsonschema signature
    """``integer`` means a TOML integer: not 3.0 (which ``range()`` and PETSc refuse), not a bool."""
    return isinstance(instance, int) and not isinstance(instance, bool)


CaseValidator = validators.extend(
    jsonschema.Draft202012Validator, {"quantity": _quantity},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)

#: Deepest nesting of tables and arrays a case may have (a real case has 4).
MAX_DEPTH = 32


def check_plain(raw: Any) -> None:
    """Refuse what no schema rule catches: keys that are not text, numbers that are not finite
    (TOML ``nan``, ``inf``), text that is not valid Unicode (undecodable ``--set`` bytes) and
    absurdly deep nesting. Iterative, so that deep input cannot exhaust the Python stack."""
    stack: list[tuple[Any, list[str | int]]] = [(raw, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise CaseError(_key(path[:MAX_DEPTH]), "...",
                            f"nested more than {MAX_DEPTH} tables/arrays deep")
        if isinstance(node, float) and not math.isfinite(node):
            raise CaseError(_key(path), node, "numbers must be finite (no nan or inf)")
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise CaseError(_key(path), node, "not valid UTF-8 text") from None
        elif isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise CaseError(_key(path), k, "keys must be strings")
                try:
                    k.encode("utf-8")
                except UnicodeEncodeError:
                    raise CaseError(_key(path), k, "key is not valid UTF-8 text") from None
                stack.append((v, [*path, k]))
        elif isinstance(node, list | tuple):
            stack.extend((v, [*path, i]) for i, v in enumerate(node))


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _name(key: str) -> str:
    """A key as written in a message: plain names as they are, others quoted ('', 'a b', 'a\\nb')."""
    return key if _PLAIN_KEY.match(key) else repr(key)


def _key(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{_name(p)}" if out else _name(p))
    return out or "(case)"


def _explain(err: jsonschema.ValidationError) -> CaseError:
    """Turn a schema error into a CaseError naming the key, the value and what is allowed."""
    key = _key(err.absolute_path)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        allowed = ", ".join(err.schema.get("properties", {})) or "none"
        k = f"{key}.{_name(extra[0])}" if key != "(case)" else _name(extra[0])
        return CaseError(k, err.instance[extra[0]], f"unknown key; allowed keys here: {allowed}")
    if err.validator == "required":
        missing = err.message.split("'")[1]
        k = f"{key}.{missing}" if key != "(case)" else missing
        return CaseError(k, None, f"required key is missing ({err.schema.get('description', '')})")
    if err.validator == "enum":
        return CaseError(key, err.instance, "allowed values: " + ", ".join(map(repr, err.validator_value)))
    if err.validator == "type":
        return CaseError(key, err.instance, f"expected type {err.validator_value}")
    if err.validator == "quantity":
        return CaseError(key, err.instance, err.message)
    return CaseError(key, err.instance, err.message)


def _best_error(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    return min(errors, key=lambda e: (len(e.absolute_path) == 0, list(map(str, e.absolute_path))))


def validate_schema(raw: dict[str, Any]) -> None:
    """Raise the first schema violation as a :class:`CaseError`."""
    errors = list(CaseValidator(SCHEMA).iter_errors(raw))
    if errors:
        raise _explain(_best_error(errors))


_INDEX = re.compile(r"^(.*)\[(\d+)\]\Z")  # \Z: "layers[1]\n" is not an index


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for token in path.split("."):
        m = _INDEX.match(token)
        while m:
            token, idx = m.group(1), int(m.group(2))
            parts.extend([token] if token else [])
            parts.append(idx)
            token = ""
            m = None
        if token:
            parts.append(int(token) if token.isdigit() else token)
    return parts


def _parse_value(text: str) -> Any:
    """A --set value: a TOML literal if it reads as one (number, bool, array), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError, KeyError):
        return text


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides (``cell.layers[2].thickness=100 um``)."""
    check_plain(raw)
    out = copy.deepcopy(raw)
    for item in overrides:
        if "=" not in item:
            raise CaseError("--set", item, "expected key.path=value, e.g. holder.pressure='5 MPa'")
        path, text = item.split("=", 1)
        parts = _split_path(path.strip())
        if not parts:
            raise CaseError("--set", item, "empty key path")
        node: Any = out
        for i, p in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(p, int):
                if not isinstance(node, list) or p >= len(node):
                    raise CaseError(path, text, f"index {p} does not exist in the case")
                node = node[p]
            else:
                if not isinstance(node, dict):
                    raise CaseError(path, text, f"'{p}' is not a table in the case")
                node = node.setdefault(p, [] if isinstance(nxt, int) else {})
        last = parts[-1]
        value = _parse_value(text.strip())
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise CaseError(path, text, f"index {last} does not exist in the case")
            node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise CaseError(path, text, "cannot set a key inside a non-table value")
    return out


def read_case_file(path: str | Path) -> tuple[dict[str, Any], bytes]:
    """Read a TOML case file; a syntax error is a CaseError naming the file and line."""
    p = Path(path)
    if not p.is_file():
        raise CaseError("case", str(path), "no such case file (see `assb-fem cases` for bundled ones)")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CaseError("case", str(path), f"cannot read the case file: {exc.strerror or exc}") from None
    try:
        raw = tomllib.loads(data.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseError("case", str(path), f"not valid TOML: {exc}") from None
    except RecursionError:
        raise CaseError("case", str(path), "not valid TOML: arrays or tables nested too deeply") from None
    check_plain(raw)
    return raw, data


def load_case(path: str | Path, overrides: list[str] | None = None):
    """Read, override, validate and resolve a case file. Raises :class:`CaseError`."""

    raw, data = read_case_file(path)
    raw = apply_overrides(raw, overrides or [])
    digest = hashlib.sha256(data + "\n".join(overrides or []).encode("utf-8", "surrogatepass")).hexdigest()
    return load_case_dict(raw, digest=digest, source=str(path))


def load_case_dict(raw: dict[str, Any], digest: str | None = None, source: str = "<dict>"):
    """Validate and resolve a case given as a dict (tests, sweeps)."""
    from fem.case.resolve import resolve

    check_plain(raw)
    validate_schema(raw)
    if digest is None:
        import json

        digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
    return resolve(raw, digest=digest, source=source)
