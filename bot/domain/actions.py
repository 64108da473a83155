"""Callback data: short ascii ids, never labels, always within Telegram's 64 bytes.

Format: "<scope>:<name>[:<value>]". Scopes:
  o  an answer to an onboarding question      o:<step>:<value>
  s  settings: open a question or answer one    s:open:<what>, s:<step>:<value>
  m  a menu entry                                m:<entry>
  d  delete confirmation                         d:yes, d:no
  t  a topic (explainer flow) or one of its steps t:<flow>, t:<flow>:<step>
  b  back one step in a topic                     b:back
  w  a glossary word                              w:<term id>
  k  an organisation                              k:<organisation id>
  i  an invited person's questions (no role yet)  i:lang:<code>, i:ok:yes, i:<field>:<value>
  p  a sleutelpersoon's /profile                  p:open:<field>, p:pause:on, p:<field>:<value>
  c  a coordinator's buttons                      c:isp:<municipality>, c:rv:<role id>, ...
  h  asking a person (the newcomer's side)        h:flow:<flow>, h:cancel:<id>, ...
  r  a sleutelpersoon's handoff buttons           r:claim:<id>, r:done:<id>-<result>, ...
  u  an answer to a check-in after begeleiding    u:good:<row>, u:area:<row>-<area>, ...
  n  a coordinator's "reach out" (/checkins)      n:reach:<row>
  x  a coordinator's announcement (/broadcast)    x:send:<id>, x:ask:<id>-<lang>, ...
  v  a sleutelpersoon's version of one            v:write:<id>-<lang>, v:ok:<id>-<lang>
  e  local events (bot.services.events)           e:wk:<week><kind><page>, e:o:<date>, ...
  g  the directory of organisations               g:all, g:cat:<category>
  a  a coordinator's events: /newevent, change,   a:new:<municipality>, a:kind:<n>, ...,
     cancel                                      a:ask:<event>-<lang>, a:edit:<date>,
                                                 a:ed:<date>-<what>, a:cancel:<date>
  y  a sleutelpersoon's text of an event          y:write:<event>-<lang>, y:ok:<event>-<lang>
  q  a sleutelpersoon's /review of catalog texts  q:lang:<lang>, q:ok:<lang>-<entry>-<text>,
                                                 q:edit:..., q:skip:<lang>-<entry>, q:stop
  l  a coordinator's /leads (language leads)      l:on-<lang>:<role>-<telegram id>, l:off-...
Scopes p, r, c, n, x, v, a, y, q and l belong to an audience (bot.services.desk): their
services check the role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"^[a-z0-9_-]{1,24}$")


@dataclass(frozen=True)
class Action:
    scope: str
    name: str
    value: str = ""

    def encode(self) -> str:
        parts = [self.scope, self.name] + ([self.value] if self.value else [])
        return ":".join(parts)


def parse(data: str | None) -> Action | None:
    """Parse callback data; anything malformed (forged, truncated) gives None."""
    if not data or len(data.encode("utf-8")) > 64:
        return None
    parts = data.split(":")
    if not 2 <= len(parts) <= 3 or not all(_PART.match(p) for p in parts):
        return None
    return Action(*parts)
