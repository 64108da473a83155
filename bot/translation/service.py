"""Offline machine translation for the bot: which models serve a pair (directly or through
English), one worker thread that runs them, and the caches.

Models run in one worker thread: CTranslate2 releases the interpreter while it computes, so
conversations go on meanwhile, and one thread keeps two cores for the bot and the database.
Every text is remembered in memory by text, pair and model version; texts everyone may see
(broadcasts, events, catalog entries) also in the database (`store=True`). A conversation's
messages are never written to the database.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.domain import languages
from bot.domain.translation import Cached, Translated, cache_key
from bot.services.ports import UnitOfWorkFactory
from bot.translation.argos import ArgosEngine
from bot.translation.ct2 import CTranslate2Engine
from bot.translation.engines import PIVOT, Broken, Engine, Model, ModelError

log = logging.getLogger(__name__)
MEMORY = 4096  # translations kept in memory, least recently used first out


def argos_dir(translation_dir: Path) -> Path:
    return translation_dir / "argos"


def ct2_dir(translation_dir: Path) -> Path:
    return translation_dir / "ctranslate2"


def extra_installed() -> dict[str, bool]:
    return {name: importlib.util.find_spec(name) is not None
            for name in ("argostranslate", "ctranslate2", "sentencepiece")}


@dataclass(frozen=True)
class Route:
    hops: tuple[Model, ...]

    @property
    def model(self) -> str:
        return " + ".join(hop.version for hop in self.hops)


class MachineTranslator:
    def __init__(self, engines: Sequence[Engine], uow: UnitOfWorkFactory | None = None,
                 clock: Callable[[], datetime] | None = None, *, memory: int = MEMORY) -> None:
        self._engines = list(engines)
        self._uow = uow
        self._clock = clock
        self._models: dict[tuple[str, str], tuple[Engine, Model]] = {}
        for engine in self._engines:  # the first engine given wins a pair (Argos before CT2)
            for model in engine.models():
                self._models.setdefault((model.source, model.target), (engine, model))
        self._failed: dict[Model, str] = {}
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._size = memory
        self._pool: ThreadPoolExecutor | None = None
        self.hits = 0
        self.misses = 0

    @classmethod
    def installed(cls, translation_dir: Path, uow: UnitOfWorkFactory | None = None,
                  clock: Callable[[], datetime] | None = None) -> MachineTranslator:
        return cls([ArgosEngine(argos_dir(translation_dir)),
                    CTranslate2Engine(ct2_dir(translation_dir))], uow, clock)

    # -- what is there ---------------------------------------------------------------------

    def models(self) -> list[Model]:
        return [model for _engine, model in self._models.values()]

    def broken(self) -> list[Broken]:
        found = [b for engine in self._engines for b in engine.broken()]
        return found + [Broken(m.path, reason) for m, reason in self._failed.items()]

    def route(self, source: str, target: str) -> Route | None:
        """A model for the pair, or two through English; None when there is neither."""
        if source == target:
            return None
        direct = self._usable(source, target)
        if direct is not None:
            return Route((direct,))
        if PIVOT not in (source, target):
            first, second = self._usable(source, PIVOT), self._usable(PIVOT, target)
            if first is not None and second is not None:
                return Route((first, second))
        return None

    def can(self, source: str, target: str) -> bool:
        return self.route(source, target) is not None

    def any(self) -> bool:
        return any(self.can(s, t) for s in languages.CODES for t in languages.CODES)

    def _usable(self, source: str, target: str) -> Model | None:
        found = self._models.get((source, target))
        if found is None or found[1] in self._failed:
            return None
        return found[1]

    # -- translating -----------------------------------------------------------------------

    async def translate(self, texts: Sequence[str], source: str, target: str, *,
                        store: bool = False) -> list[Translated] | None:
        """Each text in `target`; None when no model serves the pair or a model failed (the
        caller goes on without: a translation is a help, never a condition)."""
        route = self.route(source, target)
        if route is None:
            return None
        keys = [cache_key(route.model, source, target, text) for text in texts]
        found: dict[str, str] = {}
        for key in keys:
            if key in self._memory:
                self._memory.move_to_end(key)
                found[key] = self._memory[key]
        if store and self._uow is not None and len(found) < len(set(keys)):
            found |= await self._stored([k for k in keys if k not in found])
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True)
                                  if k not in found))
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            made = await self._run(route, todo)
            if made is None:
                return None
            fresh = {cache_key(route.model, source, target, t): m
                     for t, m in zip(todo, made, strict=True)}
            found |= fresh
            if store and self._uow is not None:
                await self._keep([Cached(k, source, target, route.model, m)
                                  for k, m in fresh.items()])
        for key in keys:
            self._remember(key, found[key])
        return [Translated(found[key], route.model) for key in keys]

    async def _run(self, route: Route, texts: list[str]) -> list[str] | None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="translate")
        loop = asyncio.get_running_loop()
        current = texts
        for hop in route.hops:
            engine, _model = self._models[(hop.source, hop.target)]
            try:
                current = await loop.run_in_executor(self._pool, engine.translate, hop,
                                                     current)
            except Exception as exc:  # a model that cannot run is not used again
                reason = str(exc) if isinstance(exc, ModelError) else f"{hop.path.name}: {exc!r}"
                log.warning("translation: %s does not work and is not used again: %s",
                            hop.version, reason)
                self._failed[hop] = reason
                return None
        return current

    def _remember(self, key: str, text: str) -> None:
        self._memory[key] = text
        self._memory.move_to_end(key)
        while len(self._memory) > self._size:
            self._memory.popitem(last=False)

    async def _stored(self, keys: list[str]) -> dict[str, str]:
        assert self._uow is not None and self._clock is not None
        async with self._uow() as uow:
            found = await uow.translations.get(keys, self._clock())
            await uow.commit()
        return found

    async def _keep(self, entries: list[Cached]) -> None:
        assert self._uow is not None and self._clock is not None
        async with self._uow() as uow:
            await uow.translations.put(entries, self._clock())
            await uow.commit()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
