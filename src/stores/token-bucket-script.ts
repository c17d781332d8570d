/**
 * The token bucket as one Lua script, so that refill-and-take is atomic in Redis however many
 * instances share the bucket (Redis runs a script without interleaving other commands). The
 * semantics are the in-memory store's: a new bucket starts full with `capacity` tokens, refills
 * continuously at `refillPerMs` up to `capacity`, and `cost` tokens are taken only if present.
 *
 * KEYS[1] the bucket (a hash: `tokens`, `ts`).
 * ARGV: capacity, refillPerMs, now (ms, the caller's clock), cost.
 * Returns { allowed (0/1), tokens left (as a string: a Lua number returned as such is truncated to an integer) }.
 *
 * Clocks: `ts` never goes back. A caller whose clock is behind the last writer's refills nothing
 * until its clock passes `ts` (skew delays refill; it never adds tokens).
 * The key expires once the bucket would be full again (plus a second): an idle bucket vanishes,
 * and a vanished bucket is full, so expiry never changes an answer.
 */
export const TOKEN_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if tokens > capacity then tokens = capacity end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * refill)
  ts = now
end
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / refill) + 1000)
return { allowed, string.format('%.17g', tokens) }
`;
