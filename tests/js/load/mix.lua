-- wrk script: a mix of request variants, each answer checked against what its variant expects.
--
--   wrk -t2 -c2 -d4s -s tests/js/load/mix.lua http://127.0.0.1:PORT -- VARIANTS_FILE THREADS
--
-- VARIANTS_FILE (written by tests/js/load/mix.mjs) has one variant a line, tab-separated:
--   name  kind  statuses  check  method  path  header...
-- statuses is a comma-separated list of the statuses allowed; check is "-" or
-- "header-name~text" (the answer's header must contain text); each header is "Name: value".
--
-- Run with one connection per thread (-c equal to -t): wrk then sends a connection's next request
-- only after its answer, so the variant a thread sent last is the one each response answers.
-- done() prints one line, "MIX " and JSON: counts per variant, latency percentiles, errors.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local variants = {}
local cursor = 1
local pending = nil
-- wrk calls the first thread's request() once before the run, to see what a request looks like;
-- that one is never sent.
local rehearsal = false
local FIELDS = { "sent", "ok", "mismatched", "server_errors", "lost" }
-- Per variant, but flat ("name.field" → value): done() reads it through thread:get, which
-- crashes wrk 4.1 on nested tables.
counts = {}

local function add(variant, field)
  local key = variant.name .. "." .. field
  counts[key] = counts[key] + 1
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(fields, field) end
  return fields
end

function init(args)
  for line in io.lines(args[1]) do
    local f = split(line)
    local allowed = {}
    for status in f[3]:gmatch("%d+") do allowed[tonumber(status)] = true end
    local check_header, check_text = f[4]:match("^([^~]+)~(.*)$")
    local headers = { Host = wrk.headers["Host"] }
    for i = 7, #f do
      local name, value = f[i]:match("^([^:]+): (.*)$")
      headers[name] = value
    end
    table.insert(variants, {
      name = f[1], allowed = allowed, check_header = check_header, check_text = check_text,
      request = wrk.format(f[5], f[6], headers),
    })
    for _, field in ipairs(FIELDS) do counts[f[1] .. "." .. field] = 0 end
    counts[f[1] .. ".kind"] = f[2]
    counts[f[1] .. ".sample"] = ""
  end
  -- Threads start at different places in the cycle, so the variants meet in different orders.
  local stride = math.floor(#variants / tonumber(args[2] or 1))
  cursor = 1 + ((id - 1) * stride) % #variants
  rehearsal = id == 1
end

function request()
  if rehearsal then
    rehearsal = false
    return variants[cursor].request
  end
  if pending then
    -- The connection closed before the answer (wrk reconnects and asks again): no answer.
    add(pending, "lost")
  end
  pending = variants[cursor]
  cursor = cursor % #variants + 1
  add(pending, "sent")
  return pending.request
end

local function header(headers, wanted)
  for name, value in pairs(headers) do
    if name:lower() == wanted then return value end
  end
  return nil
end

function response(status, headers, body)
  local v = pending
  pending = nil
  if not v then return end
  local fine = v.allowed[status] == true
  if fine and v.check_header then
    local value = header(headers, v.check_header)
    fine = value ~= nil and value:find(v.check_text, 1, true) ~= nil
  end
  if status >= 500 then add(v, "server_errors") end
  if fine then
    add(v, "ok")
  else
    add(v, "mismatched")
    if counts[v.name .. ".sample"] == "" then
      counts[v.name .. ".sample"] = string.format("%d %s", status, (body or ""):sub(1, 160))
    end
  end
end

-- A small JSON writer: tables with string keys (objects) of numbers, strings and such tables.
local function json(value)
  if type(value) == "table" then
    local parts = {}
    for k, v in pairs(value) do table.insert(parts, json(tostring(k)) .. ":" .. json(v)) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(value) == "string" then
    local escaped = value:gsub('[%c"\\]', function(ch) return string.format("\\u%04x", ch:byte()) end)
    return '"' .. escaped .. '"'
  elseif value ~= value then
    return "null" -- NaN: a mean over no requests
  end
  return tostring(value)
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get("counts")) do
      local name, field = key:match("^(.*)%.([%w_]+)$")
      local t = total[name] or {}
      total[name] = t
      if type(value) == "number" then
        t[field] = (t[field] or 0) + value
      elseif (t[field] or "") == "" then
        t[field] = value
      end
    end
  end
  io.write("MIX ", json({
    variants = total,
    latency_us = {
      p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99),
      max = latency.max, mean = latency.mean,
    },
    requests = summary.requests,
    duration_us = summary.duration,
    errors = summary.errors,
  }), "\n")
end
