"""The Lua scripts that make each change to the shared store one atomic step.

Keys (``P`` is the prefix, ``avatar:``): ``P names`` is a hash name -> content id; ``P bundle:ID``
holds the blob (avatar/store/blob.py) and ``P meta:ID`` its listing fields (JSON). Redis runs a
script with nothing else in between, so a reader following a name always finds a whole bundle,
and a bundle no name points at any more is deleted by the same step that let it go. (A script
touches keys it is not given, which Redis Cluster forbids: the store wants one Redis, or one
primary with replicas.)
"""

from __future__ import annotations

# Deletes bundle OLD unless some name still points at it. ARGV[#ARGV] is the key prefix.
_COLLECT = """
local function collect(old)
  for _, id in ipairs(redis.call('HVALS', KEYS[1])) do
    if id == old then return end
  end
  local prefix = ARGV[#ARGV]
  redis.call('DEL', prefix .. 'bundle:' .. old, prefix .. 'meta:' .. old)
end
"""

# KEYS: names, the bundle, its meta; ARGV: name, id, blob, meta JSON, prefix. Returns 1.
PUT = (
    _COLLECT
    + """
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[3], ARGV[4])
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old and old ~= ARGV[2] then collect(old) end
return 1
"""
)

# KEYS: names; ARGV: name, prefix. Returns 1, or 0 if there was no such name.
DROP = (
    _COLLECT
    + """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
collect(old)
return 1
"""
)

# KEYS: names; ARGV: name, prefix. Returns {id, blob} (blob nil if it was evicted), or nil.
GET = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
return {id, redis.call('GET', ARGV[#ARGV] .. 'bundle:' .. id)}
"""
