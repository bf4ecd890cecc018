-- bench/wrk/create.lua - durable creates for wrk: POST /api/v1/articles with varied Chinese and
-- English articles read from a file of JSON bodies (one per line, made by `loadgen -g`).
--
--   wrk -t2 -c8 -d5s -s bench/wrk/create.lua http://127.0.0.1:PORT -- BODIES_FILE TOKEN
--
-- done() prints one line: RESULT requests=.. non2xx=.. errors=.. seconds=.. rate=.. p50_ms=..
-- p90_ms=.. p99_ms=.. p999_ms=.. max_ms=..

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local bodies = {}
local next_body = 0

function init(args)
   local f = assert(io.open(args[1], "r"))
   for line in f:lines() do
      bodies[#bodies + 1] = line
   end
   f:close()
   assert(#bodies > 0, "no bodies in " .. args[1])
   wrk.method = "POST"
   wrk.path = "/api/v1/articles"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. args[2]
   -- Threads start at different places in the file, so they send different articles.
   next_body = (id * 7919) % #bodies
end

function request()
   next_body = next_body % #bodies + 1
   return wrk.format(nil, nil, nil, bodies[next_body])
end

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d non2xx=%d errors=%d seconds=%.2f rate=%.0f p50_ms=%.3f p90_ms=%.3f " ..
      "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
      summary.requests, e.status, e.connect + e.read + e.write + e.timeout, secs,
      summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000))
end
