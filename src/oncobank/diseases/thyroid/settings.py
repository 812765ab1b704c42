"""Read and check the RAIR study settings (rair_settings.yaml or a study's copy): windows, thresholds, population.

Only values live here, no rule: the RAIR engine and the synthetic ground truth each apply them in their own way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

DEFAULT_FILE = "rair_settings.yaml"


class SettingsError(ValueError):
    """A settings file that cannot be read or holds a wrong key or value; the message names file, key and value."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    """Where a setting's value comes from: an explanation in both languages and the references it rests on."""

    en: str = Field(min_length=1)
    ru: str = Field(min_length=1)
    refs: list[str] = Field(default_factory=list)


class Setting(Strict):
    source: Source


class Duration(Strict):
    """A number of days or of calendar months (exactly one of the two)."""

    days: int | None = Field(default=None, ge=0)
    months: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_unit(self) -> Duration:
        if (self.days is None) == (self.months is None):
            raise ValueError("give either days or months")
        return self

    @property
    def unit(self) -> str:
        return "days" if self.days is not None else "months"

    @property
    def count(self) -> int:
        return self.days if self.days is not None else self.months  # type: ignore[return-value]


class Within(Duration, Setting):
    """Two dates at most this far apart, in either order (both ends included)."""


class AfterScan(Setting):
    """A window after a scan: from `earliest` to `latest` after it, both ends included."""

    earliest: Duration
    latest: Duration

    @model_validator(mode="after")
    def _ordered(self) -> AfterScan:
        if self.earliest.unit != self.latest.unit:
            raise ValueError("earliest and latest must both be in days or both in months")
        if self.earliest.count > self.latest.count:
            raise ValueError(f"earliest ({self.earliest.count}) is after latest ({self.latest.count})")
        return self


class Codes(Setting):
    """Codes of one dictionary domain (named by the subclass)."""

    domain: ClassVar[str] = ""
    codes: list[str]


class ModalityCodes(Codes):
    domain: ClassVar[str] = "imaging_modality"


class ScanCodes(Codes):
    domain: ClassVar[str] = "post_scan_modality"


class StatusCodes(Codes):
    domain: ClassVar[str] = "disease_status"


class HistologyCodes(Codes):
    domain: ClassVar[str] = "thyroid_histology"


class Activity(Setting):
    value: float = Field(gt=0)
    unit: Literal["mCi", "MBq", "GBq"]


class AgeRange(Setting):
    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Required(Setting):
    required: bool


class NonAvidLesion(Strict):
    within: Within
    not_lesion_imaging: ModalityCodes


class ProgressionDespiteUptake(Strict):
    after_scan: AfterScan


class HighActivityPersistence(Strict):
    cumulative_activity: Activity
    persistent_statuses: StatusCodes


class FlipFlop(Strict):
    within: Within
    negative_scans: ScanCodes


class Criteria(Strict):
    non_avid_lesion: NonAvidLesion
    progression_despite_uptake: ProgressionDespiteUptake
    high_activity_persistence: HighActivityPersistence
    flip_flop: FlipFlop


class Population(Strict):
    histology: HistologyCodes
    age_at_diagnosis: AgeRange
    i131_therapy: Required


class Settings(Strict):
    """The whole settings file; `file` is the name it was read from, `digest` identifies its values."""

    version: Literal[1]
    references: dict[str, str]
    criteria: Criteria
    population: Population
    _file: str = PrivateAttr(default=DEFAULT_FILE)

    @model_validator(mode="after")
    def _known_refs(self) -> Settings:
        for key, setting in _settings(self):
            for ref in setting.source.refs:
                if ref not in self.references:
                    raise ValueError(f"{key}.source.refs: {ref!r} is not one of the references "
                                     f"({', '.join(self.references)})")
        return self

    @property
    def file(self) -> str:
        return self._file

    @property
    def digest(self) -> str:
        """A hash of the values alone (not the sources), so facts computed under other values are told apart."""
        values = _without_sources(self.model_dump(mode="json", exclude={"references"}))
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The values and sources, the file's name (not its folder) and the start of the digest."""
        return {"file": Path(self.file).name, "digest": self.digest[:12], **self.model_dump(mode="json")}

    def settings(self) -> Iterator[tuple[str, Setting]]:
        """Every setting with its dotted key, in file order."""
        return _settings(self)


def _settings(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, Setting]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, Setting):
            yield key, value
        elif isinstance(value, BaseModel):
            yield from _settings(value, key + ".")


def _without_sources(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_sources(v) for k, v in value.items() if k != "source"}
    return value


def _check_codes(settings: Settings, file: str) -> None:
    from oncobank.dictionary import load_module

    dictionary = load_module("thyroid")
    for key, setting in settings.settings():
        if isinstance(setting, Codes):
            known = [c.code for c in dictionary.domains[setting.domain].codes]
            for code in setting.codes:
                if code not in known:
                    raise SettingsError(f"settings {file}: {key}.codes: {code!r} is not a code of "
                                        f"{setting.domain} (known: {', '.join(known)})")


def _problem(file: str, error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"])
    where = f"{key}: " if key else ""
    if error["type"] == "missing":
        return f"settings {file}: {where}missing (every setting must be given)"
    if error["type"] == "extra_forbidden":
        return f"settings {file}: {where}not a known setting (value {error['input']!r})"
    value = error.get("input")
    shown = "" if isinstance(value, dict) else f"value {value!r}: "
    return f"settings {file}: {where}{shown}{error['msg'].removeprefix('Value error, ')}"


def default_path() -> Path:
    return Path(str(resources.files("oncobank.diseases.thyroid") / DEFAULT_FILE))


def load_settings(path: Path | None = None) -> Settings:
    """The settings in `path` (the module's rair_settings.yaml when None), checked; SettingsError if wrong."""
    path = path or default_path()
    file = path.name if path == default_path() else str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"settings {file}: cannot be read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"settings {file}: not valid YAML ({exc})") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError("; ".join(_problem(file, e) for e in exc.errors())) from None
    _check_codes(settings, file)
    settings._file = file
    return settings


@cache
def default_settings() -> Settings:
    """The module's own settings, read once."""
    return load_settings()
