"""Presence shared by several backends: when each participant's event stream was last open anywhere.

One sorted set, participant id -> the Redis server's clock (seconds) when a
backend last saw a stream of theirs open. Every backend refreshes the
participants whose streams it holds on each presence sweep, so a client whose
stream moved to another backend (or whose backend died) is judged by the
newest sighting, not by the backend that lost it. The scripts read Redis's own
clock, so the backends' clocks never matter. Acting on someone's absence
(freeing a slot, ending a Space) is claimed with a compare-and-remove, so one
backend acts, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import redis

_SEEN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i, id in ipairs(ARGV) do redis.call('ZADD', KEYS[1], now, id) end
return 1
"""
_AWAY = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]),
  'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for i = 1, #rows, 2 do
  table.insert(out, rows[i])
  table.insert(out, tostring(now - tonumber(rows[i + 1])))
end
return out
"""
_CLAIM = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if now - tonumber(score) < tonumber(ARGV[2]) then return 0 end
return redis.call('ZREM', KEYS[1], ARGV[1])
"""
MAX_AWAY_PER_SWEEP = 1000


class SharedPresence:
    def __init__(self, client: redis.Redis, prefix: str = "sd:") -> None:
        self._r = client
        self._key = prefix + "presence"
        self._seen = client.register_script(_SEEN)
        self._away = client.register_script(_AWAY)
        self._claim = client.register_script(_CLAIM)

    def seen(self, participant_ids: Iterable[str]) -> None:
        """Their streams are open now (called on open, on close and on every sweep)."""
        ids = list(participant_ids)
        if ids:
            self._seen(keys=[self._key], args=ids)

    def away(self, at_least_s: float) -> list[tuple[str, float]]:
        """Participants no backend has seen for `at_least_s` seconds, with how long."""
        flat = cast(list[str], self._away(keys=[self._key], args=[at_least_s, MAX_AWAY_PER_SWEEP]))
        return [(flat[i], float(flat[i + 1])) for i in range(0, len(flat), 2)]

    def claim(self, participant_id: str, away_s: float) -> bool:
        """True for the one backend that may act on this absence; the participant is no longer watched."""
        return bool(self._claim(keys=[self._key], args=[participant_id, away_s]))

    def forget(self, participant_id: str) -> None:
        self._r.zrem(self._key, participant_id)
