"""Curated knowledge from knowledge/: validated with pydantic at load time."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

OTHER_MUNICIPALITY = "other"
M = TypeVar("M", bound=BaseModel)


class ContentError(Exception):
    """A content file is invalid; the message names the file and what is wrong."""


class Municipality(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]{2,24}$")  # fits callback data (bot.domain.actions)
    name: str = Field(min_length=2)
    website: HttpUrl


class MunicipalityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    last_checked: date
    municipalities: list[Municipality] = Field(min_length=1)


class Knowledge:
    def __init__(self, municipalities: list[Municipality]) -> None:
        self.municipalities = municipalities
        self._by_id = {m.id: m for m in municipalities}

    @classmethod
    def load(cls, knowledge_dir: Path) -> Knowledge:
        data = load_yaml(knowledge_dir / "municipalities.yaml", MunicipalityFile)
        ids = [m.id for m in data.municipalities]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates or OTHER_MUNICIPALITY in ids:
            raise ContentError(
                f"{knowledge_dir / 'municipalities.yaml'}: duplicate or reserved ids "
                f"{sorted(duplicates | ({OTHER_MUNICIPALITY} & set(ids)))}"
            )
        return cls(data.municipalities)

    def municipality(self, municipality_id: str) -> Municipality | None:
        return self._by_id.get(municipality_id)

    def municipality_ids(self) -> set[str]:
        """Valid answers to 'where do you live', including 'another municipality'."""
        return set(self._by_id) | {OTHER_MUNICIPALITY}


def load_yaml(path: Path, model: type[M]) -> M:
    """Parse and validate one YAML file; errors carry "file:line: what is wrong"."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: file is missing") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ContentError(f"{path}{where}: invalid YAML: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        root = yaml.compose(text)
        problems = [
            f"{path}:{_line_of(root, err['loc'])}: {'.'.join(map(str, err['loc']))}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ContentError("\n".join(problems)) from exc


def _line_of(node: Any, loc: tuple[int | str, ...]) -> int:
    """1-based line of the YAML node at a pydantic error location (the nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
