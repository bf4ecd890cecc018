-- wrk script for bench/peers/rt.sh (Request Tracker 5, REST 2.0).
--
-- Environment:
--   RT_WRK_MODE   create | read | search
--   RT_COOKIES    file with one "RT_SID_...=..." cookie per line; thread k
--                 uses line k (one RT web session per connection), or
--   RT_AUTH       a full Authorization header value ("Basic ..."); when set,
--                 no cookie is sent
--   RT_READ_MIN, RT_READ_MAX   ticket id range for "read" (uniform random)
--   RT_SEARCH_WORDS            comma-separated words for "search"; each
--                 request asks  Subject LIKE '<word>'  (words in rotation)
--   RT_SEARCH_PER_PAGE         rows per search page (default 50)
--
-- Every answer's status is checked (create: 201, read/search: 200); the
-- others are counted as "non2xx" (the first 3 are shown on stderr).
-- Prints one machine-readable line at the end:
--   RESULT requests=.. duration_us=.. p50_us=.. p99_us=.. non2xx=.. errors=..

local cookies = {}
local nthreads = 0
local threads = {}

function setup(thread)
  nthreads = nthreads + 1
  threads[nthreads] = thread
  thread:set("tid", nthreads)
  local f = os.getenv("RT_COOKIES")
  if f and f ~= "" and #cookies == 0 then
    local fh = assert(io.open(f, "r"))
    for line in fh:lines() do
      if line ~= "" then cookies[#cookies + 1] = line end
    end
    fh:close()
  end
  if #cookies > 0 then
    thread:set("cookie", cookies[((nthreads - 1) % #cookies) + 1])
  end
end

local mode, lo, hi, words, wi, per_page
local expect = 200
unexpected = 0      -- per thread; summed in done()

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  mode = os.getenv("RT_WRK_MODE") or "read"
  math.randomseed(os.time() + 7919 * (tid or 1))
  local auth = os.getenv("RT_AUTH")
  if auth and auth ~= "" then
    wrk.headers["Authorization"] = auth     -- and no cookie: RT would prefer it
  elseif cookie then
    wrk.headers["Cookie"] = cookie
  end
  wrk.headers["Accept"] = "application/json"
  if mode == "create" then
    expect = 201
    wrk.method = "POST"
    wrk.path = "/REST/2.0/ticket"
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = '{"Queue":"General","Subject":"bench create printer","Content":"created by wrk for the opsledger/RT comparison"}'
  end
  lo = tonumber(os.getenv("RT_READ_MIN") or "1")
  hi = tonumber(os.getenv("RT_READ_MAX") or "1")
  words = {}
  for w in string.gmatch(os.getenv("RT_SEARCH_WORDS") or "printer", "[^,]+") do
    words[#words + 1] = w
  end
  wi = (tid or 1) - 1
  per_page = os.getenv("RT_SEARCH_PER_PAGE") or "50"
end

function request()
  if mode == "read" then
    return wrk.format("GET", "/REST/2.0/ticket/" .. math.random(lo, hi))
  elseif mode == "search" then
    wi = wi + 1
    local w = words[(wi % #words) + 1]
    local q = urlencode("Subject LIKE '" .. w .. "'")
    return wrk.format("GET", "/REST/2.0/tickets?query=" .. q ..
      "&per_page=" .. per_page .. "&fields=Subject,Status,Created")
  end
  return wrk.format()
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
    if unexpected <= 3 then
      io.stderr:write(string.format("rt_wrk.lua: %s answered %d: %s\n", mode, status,
        string.sub(body or "", 1, 200)))
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (tonumber(t:get("unexpected")) or 0) end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    bad, e.connect + e.read + e.write + e.timeout))
end
