"""Read and validate the parameter YAML files; every fault names the file and the key.

File format (openfisca style, one or more parameters per file)::

    reference_level:
      description: Base salary (lương cơ sở), from 1 Jul 2025 the reference level (mức tham chiếu)
      unit: dong                     # dong | rate | multiplier | months | days | years | count | age
      shape: scalar                  # scalar | by_region | by_key | list | records (default scalar)
      reference: Law 41/2024/QH15 Art. 141.13
      values:
        2024-07-01:
          value: 2_340_000
          legal_basis: Decree 73/2024/NĐ-CP Art. 3
          confidence: sure           # sure | likely | unsure; "unsure" needs a note
          note: ...

Decimal numbers in the files are read as ``Decimal`` (never as float). Dates under ``values`` must be
in ascending order; a value of ``null`` would open a gap and is refused unless the parameter says
``gaps_allowed: true``.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ansinh.law.parameters.model import Parameter, ParameterSet, ValueEntry

UNITS = ("dong", "rate", "multiplier", "months", "days", "years", "count", "age", "year")
SHAPES = ("scalar", "by_region", "by_key", "list", "records")
CONFIDENCE = ("sure", "likely", "unsure")
REGIONS = (1, 2, 3, 4)
PARAMETER_KEYS = {
    "description",
    "description_vi",
    "unit",
    "shape",
    "keys",
    "fields",
    "reference",
    "values",
    "gaps_allowed",
}
ENTRY_KEYS = {"value", "legal_basis", "confidence", "note"}


class ParameterFileError(ValueError):
    """A fault in a parameter file: ``file``, the dotted ``key`` and what is wrong."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        super().__init__(f"{file}: {key}: {message}")


# libyaml's parser when it is there (10x faster than the pure-Python one; same safe constructors).
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DecimalLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """Safe YAML loader that reads decimal numbers as Decimal and refuses duplicate keys."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(str(loader.construct_scalar(node)).replace("_", ""))


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    loader.flatten_mapping(node)
    result: dict[Hashable, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_DecimalLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _key_text(key: object) -> str:
    return key.isoformat() if isinstance(key, date) else str(key)


def _convert_scalar(unit: str, raw: object, file: str, key: str) -> Any:
    """Check and convert one leaf value according to its unit."""
    if unit in ("dong", "months", "days", "years", "count", "year"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ParameterFileError(file, key, f"expected a whole number ({unit}), got {raw!r}")
        if raw < 0:
            raise ParameterFileError(file, key, f"expected a non-negative number, got {raw}")
        return raw
    if unit in ("rate", "multiplier"):
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal):
            raise ParameterFileError(file, key, f"expected a decimal number ({unit}), got {raw!r}")
        value = Decimal(raw)
        if value < 0 or (unit == "rate" and value > 1):
            raise ParameterFileError(file, key, f"a {unit} must be between 0 and 1, got {value}")
        return value
    if unit == "age":
        if not isinstance(raw, dict) or set(raw) != {"years", "months"}:
            raise ParameterFileError(file, key, f"an age is {{years: Y, months: M}}, got {raw!r}")
        years = _convert_scalar("years", raw["years"], file, f"{key}.years")
        months = _convert_scalar("months", raw["months"], file, f"{key}.months")
        if months > 11:
            raise ParameterFileError(file, f"{key}.months", f"months of an age must be 0–11, got {months}")
        return {"years": years, "months": months}
    raise ParameterFileError(file, key, f"unknown unit {unit!r}")  # pragma: no cover


def _convert_value(spec: dict[str, Any], raw: object, file: str, key: str) -> Any:
    """Check and convert a value according to the parameter's shape."""
    unit, shape = spec["unit"], spec["shape"]
    if shape == "scalar":
        return _convert_scalar(unit, raw, file, key)
    if shape == "by_region":
        if not isinstance(raw, dict) or set(raw) != set(REGIONS):
            raise ParameterFileError(file, key, f"expected one value for each region 1–4, got {raw!r}")
        return {r: _convert_scalar(unit, raw[r], file, f"{key}.{r}") for r in REGIONS}
    if shape == "by_key":
        keys = spec["keys"]
        if not isinstance(raw, dict) or set(raw) != set(keys):
            got = sorted(map(str, raw)) if isinstance(raw, dict) else raw
            raise ParameterFileError(file, key, f"expected exactly the keys {keys}, got {got!r}")
        return {k: _convert_scalar(unit, raw[k], file, f"{key}.{k}") for k in keys}
    if shape == "list":
        if not isinstance(raw, list) or not raw:
            raise ParameterFileError(file, key, f"expected a non-empty list, got {raw!r}")
        return [_convert_scalar(unit, item, file, f"{key}[{i}]") for i, item in enumerate(raw)]
    # records: a list of mappings with the declared fields, each with its own unit
    fields: dict[str, str] = spec["fields"]
    if not isinstance(raw, list) or not raw:
        raise ParameterFileError(file, key, f"expected a non-empty list of records, got {raw!r}")
    records = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != set(fields):
            raise ParameterFileError(file, f"{key}[{i}]", f"expected exactly the fields {sorted(fields)}")
        records.append({f: _convert_scalar(u, item[f], file, f"{key}[{i}].{f}") for f, u in fields.items()})
    return records


def _parameter_spec(name: str, body: object, file: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ParameterFileError(file, name, "a parameter must be a mapping")
    unknown = set(map(str, body)) - PARAMETER_KEYS
    if unknown:
        raise ParameterFileError(file, f"{name}.{sorted(unknown)[0]}", "unknown key")
    for required in ("description", "unit", "values"):
        if required not in body:
            raise ParameterFileError(file, f"{name}.{required}", "missing")
    if not isinstance(body["description"], str) or not body["description"].strip():
        raise ParameterFileError(file, f"{name}.description", "must be a non-empty text")
    unit = body["unit"]
    if unit not in UNITS:
        raise ParameterFileError(file, f"{name}.unit", f"unknown unit {unit!r}; expected one of {UNITS}")
    shape = body.get("shape", "scalar")
    if shape not in SHAPES:
        raise ParameterFileError(file, f"{name}.shape", f"unknown shape {shape!r}; expected one of {SHAPES}")
    spec: dict[str, Any] = {"unit": unit, "shape": shape}
    if shape == "by_key":
        keys = body.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise ParameterFileError(file, f"{name}.keys", "a by_key parameter lists its keys")
        spec["keys"] = keys
    if shape == "records":
        fields = body.get("fields")
        if not isinstance(fields, dict) or not fields or any(u not in UNITS for u in fields.values()):
            raise ParameterFileError(file, f"{name}.fields", f"records declare fields with units {UNITS}")
        spec["fields"] = {str(k): str(v) for k, v in fields.items()}
    return spec


def _entry(
    name: str, body: dict[str, Any], spec: dict[str, Any], start: object, raw: object, file: str
) -> ValueEntry:
    key = f"{name}.values.{_key_text(start)}"
    if not isinstance(start, date):
        raise ParameterFileError(file, key, "each value is keyed by its valid_from date (YYYY-MM-DD)")
    if not isinstance(raw, dict):
        raise ParameterFileError(file, key, "expected a mapping with value and legal_basis")
    unknown = set(map(str, raw)) - ENTRY_KEYS
    if unknown:
        raise ParameterFileError(file, f"{key}.{sorted(unknown)[0]}", "unknown key")
    if "value" not in raw:
        raise ParameterFileError(file, f"{key}.value", "missing")
    basis = raw.get("legal_basis")
    if not isinstance(basis, str) or not basis.strip():
        raise ParameterFileError(file, f"{key}.legal_basis", "every value cites its instrument and article")
    confidence = raw.get("confidence", "sure")
    if confidence not in CONFIDENCE:
        raise ParameterFileError(file, f"{key}.confidence", f"expected one of {CONFIDENCE}")
    note = raw.get("note")
    if confidence == "unsure" and not (isinstance(note, str) and note.strip()):
        raise ParameterFileError(file, f"{key}.note", "an unsure value needs a note saying why")
    if raw["value"] is None:
        if not body.get("gaps_allowed", False):
            raise ParameterFileError(file, f"{key}.value", "null would leave a gap where a value is required")
        value = None
    else:
        value = _convert_value(spec, raw["value"], file, f"{key}.value")
    return ValueEntry(
        start, value, basis.strip(), confidence, note.strip() if isinstance(note, str) else None
    )


def parse_parameter(name: str, body: object, file: str) -> Parameter:
    """Validate one parameter definition and build it."""
    spec = _parameter_spec(name, body, file)
    assert isinstance(body, dict)
    values = body["values"]
    if not isinstance(values, dict) or not values:
        raise ParameterFileError(file, f"{name}.values", "expected at least one dated value")
    entries: list[ValueEntry] = []
    for start, raw in values.items():
        entry = _entry(name, body, spec, start, raw, file)
        if entries and entry.valid_from <= entries[-1].valid_from:
            raise ParameterFileError(
                file,
                f"{name}.values.{_key_text(start)}",
                f"dates must be in ascending order (after {entries[-1].valid_from.isoformat()})",
            )
        entries.append(entry)
    if entries[0].value is None:
        raise ParameterFileError(
            file, f"{name}.values.{entries[0].valid_from.isoformat()}.value", "the first value cannot be null"
        )
    reference = body.get("reference")
    description_vi = body.get("description_vi")
    return Parameter(
        name=name,
        description=" ".join(str(body["description"]).split()),
        unit=spec["unit"],
        shape=spec["shape"],
        source_file=file,
        values=tuple(entries),
        reference=str(reference) if reference is not None else None,
        description_vi=str(description_vi) if description_vi is not None else None,
    )


def load_file(path: Path) -> list[Parameter]:
    file = path.name
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_DecimalLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(error, "problem", None) or str(error)
        raise ParameterFileError(file, where, f"not valid YAML: {problem}") from error
    if not isinstance(document, dict):
        raise ParameterFileError(file, "(file)", "expected a mapping of parameter names")
    parameters = []
    for name, body in document.items():
        if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
            raise ParameterFileError(file, str(name), "a parameter name is lower_case_with_underscores")
        parameters.append(parse_parameter(name, body, file))
    return parameters


def load_parameters(directory: Path) -> ParameterSet:
    """Load and validate every ``*.yaml`` file of ``directory``."""
    found: dict[str, Parameter] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ParameterFileError(str(directory), "(directory)", "no parameter files found")
    for path in files:
        for parameter in load_file(path):
            if parameter.name in found:
                raise ParameterFileError(
                    path.name, parameter.name, f"already defined in {found[parameter.name].source_file}"
                )
            found[parameter.name] = parameter
    return ParameterSet(found)
