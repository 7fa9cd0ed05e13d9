"""The hot dataclasses' hand-written ``__init__``s take exactly their fields.

They are written out (``init=False``) because mypyc compiles them, where the ``__init__``
dataclasses generates stays interpreted (schemas/envelopes.py). A field added to the class
but not to its ``__init__``, a default that differs or two fields swapped would go unseen by
mypy: these tests compare each ``__init__`` with the dataclass's own field list.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import itertools
import sys
import types
import typing
from typing import Any

import orjson
import pytest

from hub.native import NATIVE_MODULES, source_of

# One or more of each per indicator (README, "The compiled hot path").
HOT = {
    "schemas.envelopes.Origin",
    "schemas.envelopes.IngestRecord",
    "schemas.envelopes.Contribution",
    "schemas.merge.PartnerContribution",
    "schemas.merge.MergeRecord",
    "hub.canonical.Observable",
    "hub.admit.admission.ObjectOutcome",
    "hub.admit.admission.Admission",
    "hub.disseminate.audiences.Publication",
}


def written_out() -> list[type]:
    """Every dataclass of the compiled modules that writes its ``__init__`` out."""
    found = []
    for name in NATIVE_MODULES:
        for value in vars(importlib.import_module(name)).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == name
                and not value.__dataclass_params__.init  # type: ignore[attr-defined]
            ):
                found.append(value)
    return found


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


_serial = itertools.count(1)


def sample(annotation: Any) -> Any:
    """A fresh value of the annotated type, distinct from every other sample."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return sample(options[0])
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if annotation is str:
        return f"value-{next(_serial)}"
    if annotation is bool:
        return True  # every bool field defaults to False
    if annotation is int:
        return 1000 + next(_serial)
    if origin is list:
        return [sample(typing.get_args(annotation)[0])]
    if origin is dict:
        key, value = typing.get_args(annotation)
        return {sample(key): sample(value)}
    if annotation is Any:
        return {"any": next(_serial)}
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return build(annotation, only_required=True)
    raise AssertionError(f"no sample for {annotation!r}")


def _hints(cls: type) -> dict[str, Any]:
    """The fields' annotations as the source writes them.

    A compiled class's ``__annotations__`` hold what mypyc made of them (``type`` for
    ``str | None``), so they are read from the source and evaluated in the module.
    """
    module = sys.modules[cls.__module__]
    tree = ast.parse(source_of(cls.__module__).read_text())
    body = next(
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == cls.__name__
    ).body
    return {
        node.target.id: eval(ast.unparse(node.annotation), vars(module))
        for node in body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def build(cls: type, *, only_required: bool) -> Any:
    hints = _hints(cls)
    values = {
        f.name: sample(hints[f.name])
        for f in dataclasses.fields(cls)
        if not only_required
        or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    }
    return cls(**values)


def test_the_hot_dataclasses_write_their_init_out() -> None:
    assert {_name(cls) for cls in written_out()} >= HOT


@pytest.mark.parametrize("cls", written_out(), ids=_name)
def test_a_written_out_init_takes_the_fields_in_order_with_their_defaults(cls: type) -> None:
    fields = dataclasses.fields(cls)
    parameters = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields, strict=True):
        if field.default is not dataclasses.MISSING:
            assert parameter.default == field.default, field.name
        elif field.default_factory is not dataclasses.MISSING:
            assert parameter.default is None, field.name  # None stands for a fresh default
        else:
            assert parameter.default is inspect.Parameter.empty, field.name


@pytest.mark.parametrize("cls", written_out(), ids=_name)
def test_a_written_out_init_sets_each_field_to_its_own_argument(cls: type) -> None:
    hints = _hints(cls)
    values = {f.name: sample(hints[f.name]) for f in dataclasses.fields(cls)}
    made = cls(**values)
    for name, value in values.items():
        # Every sample differs from every other: a field set from another's argument shows.
        assert getattr(made, name) == value, name
    # Positionally too, as the generated __init__ takes them.
    assert cls(*values.values()) == made


@pytest.mark.parametrize("cls", written_out(), ids=_name)
def test_a_written_out_init_fills_in_the_declared_defaults(cls: type) -> None:
    made = build(cls, only_required=True)
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            assert getattr(made, field.name) == field.default, field.name
        elif field.default_factory is not dataclasses.MISSING:
            assert getattr(made, field.name) == field.default_factory(), field.name
    # A default made by a factory is the instance's own, not shared with the next one.
    other = build(cls, only_required=True)
    for field in dataclasses.fields(cls):
        if field.default_factory is not dataclasses.MISSING:
            assert getattr(made, field.name) is not getattr(other, field.name), field.name


READ_BACK = [
    "schemas.envelopes.Origin",
    "schemas.envelopes.IngestRecord",
    "schemas.envelopes.Contribution",
    "schemas.merge.PartnerContribution",
    "schemas.merge.MergeRecord",
]


def _class(name: str) -> type:
    module, _, qualname = name.rpartition(".")
    cls: type = getattr(importlib.import_module(module), qualname)
    return cls


def _read(cls: type, data: dict[str, Any]) -> Any:
    """``cls`` read back from ``data`` as the hub reads it from Kafka."""
    if hasattr(cls, "from_bytes"):
        return cls.from_bytes(orjson.dumps(data))
    return cls.from_json(data)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", READ_BACK)
def test_what_is_read_back_is_what_was_written(name: str) -> None:
    cls = _class(name)
    written = build(cls, only_required=False)
    as_written = orjson.loads(orjson.dumps(written))
    assert _read(cls, as_written) == written
    # Fields in another order (a message from another client) are matched by name.
    assert _read(cls, dict(reversed(as_written.items()))) == written


@pytest.mark.parametrize("name", READ_BACK)
def test_a_message_with_a_field_too_many_or_too_few_is_refused(name: str) -> None:
    cls = _class(name)
    as_written = orjson.loads(orjson.dumps(build(cls, only_required=False)))
    with pytest.raises(TypeError):
        _read(cls, {**as_written, "surplus": 1})
    first = next(iter(as_written))
    with pytest.raises((TypeError, KeyError)):
        _read(cls, {key: value for key, value in as_written.items() if key != first})


@pytest.mark.parametrize("name", READ_BACK)
def test_a_written_out_encoding_writes_what_orjson_writes_for_the_dataclass(name: str) -> None:
    # as_json names every field itself (orjson reads a compiled class's fields one getattr
    # at a time); the bytes must be those orjson writes for the dataclass, field for field.
    cls = _class(name)
    instance = build(cls, only_required=False)
    assert orjson.dumps(instance.as_json()) == orjson.dumps(instance)
    if hasattr(instance, "to_bytes"):
        assert instance.to_bytes() == orjson.dumps(instance)
