"""Read, override, validate and resolve a case file into SI (:class:`fem.case.model.Case`).

Validation happens entirely here, before any mesh or solver is touched: structure and types
through the JSON schema (:mod:`fem.case.schema`), units through its ``quantity`` keyword, the
hard and plausible ranges (:mod:`fem.case.ranges`) through its ``range`` keyword, then the
cross-field rules in :func:`fem.case.resolve.resolve`.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
import tomllib
import warnings
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import validators

from fem.case.files import file_kind
from fem.case.paths import split_path
from fem.case.ranges import RANGES
from fem.case.schema import SCHEMA
from fem.errors import CaseError, CaseWarning, quoted, shorten
from fem.units import EXAMPLES, to_si


def _quantity(validator, spec, instance, schema):  # noqa: ARG001 - jsonschema signature
    """JSON-schema keyword ``quantity``: a string with units of a dimension."""
    if not isinstance(instance, str):
        return
    try:
        to_si(instance, spec["dimension"], "")
    except CaseError as exc:
        yield jsonschema.ValidationError(exc.allowed)


class _Implausible(jsonschema.ValidationError):
    """Not an error: a value outside its plausible range (a CaseWarning once the case is
    valid)."""


def _range(validator, key, instance, schema):  # noqa: ARG001 - jsonschema signature
    """JSON-schema keyword ``range``: the value (a number, or a quantity converted to SI)
    against the hard and plausible ranges of :data:`fem.case.ranges.RANGES` ``[key]``."""
    rng = RANGES[key]
    if isinstance(instance, bool):
        return
    if isinstance(instance, str) and "quantity" in schema:
        try:
            value = to_si(instance, schema["quantity"]["dimension"], "")
        except CaseError:
            return  # the quantity keyword says what is wrong
    elif isinstance(instance, int | float) and "quantity" not in schema:
        value = instance
    else:
        return
    problem = rng.violation(value)
    if problem is not None:
        yield jsonschema.ValidationError(problem)
        return
    note = rng.implausibility(value)
    if note is not None:
        yield _Implausible(note)


def _is_integer(checker, instance) -> bool:  # noqa: ARG001 - jsonschema signature
    """``integer`` means a TOML integer: not 3.0 (which ``range()`` and PETSc refuse), not a bool."""
    return isinstance(instance, int) and not isinstance(instance, bool)


CaseValidator = validators.extend(
    jsonschema.Draft202012Validator, {"quantity": _quantity, "range": _range},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)

#: The range of a TOML integer (64-bit signed).
_INT64 = (-(2**63), 2**63 - 1)

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
        if isinstance(node, int) and not isinstance(node, bool) and not _INT64[0] <= node <= _INT64[1]:
            raise CaseError(_key(path), node, "integers must fit in 64 bits (as TOML's do)")
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
    """Turn a schema error into a CaseError naming the key, the value and what is allowed (in
    words of our own: jsonschema's messages quote the whole value, however long)."""
    key = _key(err.absolute_path)
    spec = err.schema if isinstance(err.schema, dict) else {}
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(spec.get("properties", {})))
        allowed = ", ".join(spec.get("properties", {})) or "none"
        k = f"{key}.{_name(extra[0])}" if key != "(case)" else _name(extra[0])
        return CaseError(k, err.instance[extra[0]], f"unknown key; allowed keys here: {allowed}")
    if err.validator == "required":
        missing = next(k for k in err.validator_value if k not in err.instance)
        k = f"{key}.{missing}" if key != "(case)" else missing
        sub = spec.get("properties", {}).get(missing, {})
        what = sub.get("description", "") or spec.get("description", "")
        return CaseError(k, None, f"required key is missing ({what})")
    if err.validator == "enum":
        return CaseError(key, err.instance, "allowed values: " + ", ".join(map(repr, err.validator_value)))
    if err.validator == "type":
        if "quantity" in spec:  # a bare number (or other type) where a value with units goes
            dim = spec["quantity"]["dimension"]
            if dim == "dimensionless":
                return CaseError(key, err.instance, f"expected a number in a string, e.g. "
                                 f"{EXAMPLES[dim]}")
            return CaseError(key, err.instance, f"expected a {dim.replace('_', ' ')} with units, "
                             f"e.g. {EXAMPLES[dim]} (a string: the number and its unit)")
        if "units_hint" in spec:
            return CaseError(key, err.instance, f"expected {spec['units_hint']}")
        return CaseError(key, err.instance, f"expected type {err.validator_value}")
    return CaseError(key, err.instance, _BOUND_MESSAGES.get(err.validator, _other)(err, spec))


def _other(err: jsonschema.ValidationError, spec: dict) -> str:  # noqa: ARG001
    return shorten(err.message)


_BOUND_MESSAGES = {
    "minimum": lambda e, s: f"must be >= {e.validator_value:g}",
    "maximum": lambda e, s: f"must be <= {e.validator_value:g}",
    "exclusiveMinimum": lambda e, s: f"must be > {e.validator_value:g}",
    "exclusiveMaximum": lambda e, s: f"must be < {e.validator_value:g}",
    "minItems": lambda e, s: f"needs at least {e.validator_value} item(s)",
    "maxItems": lambda e, s: f"takes at most {e.validator_value} item(s)",
    "minLength": lambda e, s: s.get("message", f"needs at least {e.validator_value} character(s)"),
    "maxLength": lambda e, s: s.get("message", f"takes at most {e.validator_value} characters"),
    "pattern": lambda e, s: s.get("message", f"must match the pattern {e.validator_value}"),
    "quantity": lambda e, s: e.message,
}


def _best_error(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    return min(errors, key=lambda e: (len(e.absolute_path) == 0, list(map(str, e.absolute_path))))


def validate_schema(raw: dict[str, Any]) -> None:
    """Raise the first schema violation as a :class:`CaseError`; warn (CaseWarning) about every
    value outside its plausible range."""
    found = list(CaseValidator(SCHEMA).iter_errors(raw))
    errors = [e for e in found if not isinstance(e, _Implausible)]
    if errors:
        raise _explain(_best_error(errors))
    for note in found:
        warnings.warn(f"{_key(note.absolute_path)} = {quoted(note.instance)}: {note.message}",
                      CaseWarning, stacklevel=3)


def _parse_value(text: str) -> Any:
    """A --set value: a TOML literal if it reads as one (number, bool, array), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (ValueError, RecursionError, KeyError):  # TOMLDecodeError is a ValueError; so is an
        return text  # integer of more than 4300 digits


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.path=value`` overrides (``cell.layers[2].thickness=100 um``)."""
    check_plain(raw)
    out = copy.deepcopy(raw)
    for item in overrides:
        if "=" not in item:
            raise CaseError("--set", item, "expected key.path=value, e.g. holder.pressure='5 MPa'")
        path, text = item.split("=", 1)
        parts = split_path(path.strip())
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
    """Read a TOML case file; a syntax error is a CaseError naming the file and line. A UTF-8
    byte-order mark (written by some Windows editors) is accepted."""
    p = Path(path)
    kind = file_kind(p)
    if kind == "missing":
        raise CaseError("case", str(path), "no such case file (see `assb-fem cases` for bundled ones)")
    if kind is not None:
        raise CaseError("case", str(path), f"cannot read the case file: it is {kind}; give a "
                        "TOML case file or a bundled case name (`assb-fem cases`)")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CaseError("case", str(path), f"cannot read the case file: {exc.strerror or exc}") from None
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseError("case", str(path), f"not valid TOML: {exc}") from None
    except RecursionError:
        raise CaseError("case", str(path), "not valid TOML: arrays or tables nested too deeply") from None
    except ValueError:  # an integer of more than 4300 digits (int's conversion limit)
        raise CaseError("case", str(path), "not valid TOML here: an integer of more than 4300 "
                        "digits; integers must fit in 64 bits") from None
    check_plain(raw)
    return raw, data


def load_case(path: str | Path, overrides: list[str] | None = None):
    """Read, override, validate and resolve a case file. Raises :class:`CaseError`."""

    raw, data = read_case_file(path)
    raw = apply_overrides(raw, overrides or [])
    digest = hashlib.sha256(data + "\n".join(overrides or []).encode("utf-8", "surrogatepass")).hexdigest()
    return load_case_dict(raw, digest=digest, source=str(path))


def load_case_dict(raw: dict[str, Any], digest: str | None = None, source: str = "<dict>"):
    """Validate and resolve a case given as a dict (tests, sweeps). The warnings on dubious
    values (CaseWarning) are given only when the case is valid, each once."""
    from fem.case.resolve import resolve

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_plain(raw)
        validate_schema(raw)
        if digest is None:
            import json

            digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
        case = resolve(raw, digest=digest, source=source)
    seen = set()
    for w in caught:
        if (w.category, str(w.message)) not in seen:
            seen.add((w.category, str(w.message)))
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return case
