"""Find, read and resolve dictionary modules (a module plus the modules it extends)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from oncobank.dictionary.schema import OTHER, Domain, FieldType, Module, Section
from oncobank.dictionary.units import UnitError, UnitSystem, build_unit_system


class DictionaryError(ValueError):
    """A dictionary module that is malformed or inconsistent."""


def module_path(name: str) -> Path:
    """Path of a built-in module's YAML: `core` or a disease folder under `oncobank.diseases`."""
    if name == "core":
        path = Path(str(resources.files("oncobank.dictionary") / "core.yaml"))
    else:
        path = Path(str(resources.files("oncobank.diseases") / name / "dictionary.yaml"))
    if not path.is_file():
        raise DictionaryError(f"no dictionary module named {name!r} (looked for {path.name})")
    return path


def available_modules() -> list[str]:
    root = Path(str(resources.files("oncobank.diseases")))
    diseases = sorted(p.parent.name for p in root.glob("*/dictionary.yaml"))
    return ["core", *diseases]


def read_module(path: Path) -> Module:
    """Parse and validate one module file (without resolving what it extends)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DictionaryError(f"{path.name}: not valid YAML: {exc}") from exc
    try:
        return Module.model_validate(raw)
    except ValidationError as exc:
        raise DictionaryError(f"{path.name}: {exc}") from exc


@dataclass(frozen=True, eq=False)
class Dictionary:
    """A resolved module: its own sections after those of every module it extends."""

    name: str
    modules: tuple[Module, ...]
    sections: dict[str, Section] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)

    @property
    def module(self) -> Module:
        return self.modules[-1]

    @cached_property
    def units(self) -> UnitSystem:
        definitions = [d for m in self.modules for d in m.unit_definitions]
        aliases = {k: v for m in self.modules for k, v in m.unit_aliases.items()}
        return build_unit_system(definitions, aliases)

    def section(self, name: str) -> Section:
        try:
            return self.sections[name]
        except KeyError:
            raise KeyError(f"module {self.name!r} has no section {name!r}") from None

    def codes(self, domain: str) -> dict[str, str]:
        """Code -> code, plus every alias (case-folded) -> code, for one domain."""
        return _code_lookup(self, domain)

    def section_of_module(self, section: str) -> str:
        for module in self.modules:
            if any(s.name == section for s in module.sections):
                return module.module
        raise KeyError(section)


@lru_cache(maxsize=256)
def _code_lookup(dictionary: Dictionary, domain: str) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code in dictionary.domains[domain].codes:
        lookup[code.code] = code.code
        for alias in [code.code, *code.aliases]:
            lookup.setdefault(alias.casefold(), code.code)
    return lookup


def resolve(modules: list[Module]) -> Dictionary:
    """Merge modules in order (later ones extend earlier ones) and check cross-references."""
    sections: dict[str, Section] = {}
    domains: dict[str, Domain] = {}
    for module in modules:
        for dname, domain in module.domains.items():
            if dname in domains:
                raise DictionaryError(f"module {module.module}: domain {dname!r} is already defined")
            domains[dname] = domain
        for section in module.sections:
            if section.name in sections:
                raise DictionaryError(f"module {module.module}: section {section.name!r} is already defined")
            sections[section.name] = section
    dictionary = Dictionary(modules[-1].module, tuple(modules), sections, domains)
    _check(dictionary)
    return dictionary


def _check(dictionary: Dictionary) -> None:
    units = dictionary.units
    for section in dictionary.sections.values():
        for f in section.fields:
            where = f"module {dictionary.name}, section {section.name}, field {f.name}"
            if f.domain is not None and f.domain not in dictionary.domains:
                raise DictionaryError(f"{where}: unknown domain {f.domain!r}")
            if f.other is not None and OTHER not in {c.code for c in dictionary.domains[f.domain].codes}:
                raise DictionaryError(f"{where}: keeps other values, but domain {f.domain!r} has no code {OTHER!r}")
            for unit in f.accepted_units:
                try:
                    units.factor(unit, f.unit or unit, f.molar_mass)
                except UnitError as exc:
                    raise DictionaryError(f"{where}: {exc}") from exc
            if f.type == FieldType.DATE and f.unit is not None:
                raise DictionaryError(f"{where}: a date has no unit")


def _load_chain(name: str, seen: tuple[str, ...] = ()) -> list[Module]:
    if name in seen:
        raise DictionaryError(f"modules extend each other in a cycle: {' -> '.join((*seen, name))}")
    module = read_module(module_path(name))
    if module.module != name:
        raise DictionaryError(f"{module_path(name).name}: declares module {module.module!r}, expected {name!r}")
    chain: list[Module] = []
    for parent in module.extends:
        for m in _load_chain(parent, (*seen, name)):
            if m not in chain:
                chain.append(m)
    return [*chain, module]


@lru_cache(maxsize=16)
def load_module(name: str) -> Dictionary:
    """The resolved built-in module `name` (e.g. "thyroid" = core + thyroid)."""
    return resolve(_load_chain(name))


def load_file(path: Path) -> Dictionary:
    """Resolve a module file from disk; the modules it extends are taken from the built-in ones."""
    return resolve_module(read_module(path))


def resolve_module(module: Module) -> Dictionary:
    """Resolve a module that is not built in (read from a file, imported) over the built-in ones it extends."""
    chain: list[Module] = []
    for parent in module.extends:
        for m in _load_chain(parent):
            if m not in chain:
                chain.append(m)
    return resolve([*chain, module])

