-- wrk script for `make bench`: one new alert per request, spread over 200 groups.
--
--   wrk -s bench/alerts.lua URL -- MODE TOTAL THREADS DONE_DIR [TOKEN]
--
-- MODE klaxon:       Alertmanager webhook v4 payload (POST /v1/alerts/alertmanager, Bearer TOKEN),
--                    groupKey one of 200, one alert with a unique fingerprint and instance label.
-- MODE alertmanager: Alertmanager's own POST /api/v2/alerts, a one-alert JSON array with labels
--                    alertname/group/instance (unique instance, so each request is a new alert).
--
-- Each thread stops counting as "done" after ceil(TOTAL/THREADS) responses and drops a marker file
-- in DONE_DIR; the last thread to finish sends SIGINT to wrk's main thread, which ends the run
-- early (wrk then reports the real elapsed time). -d is only the safety cap.
-- done() prints one machine-readable BENCHRESULT line for bench/bench.sh.

local ffi = require("ffi")
ffi.cdef [[
  int getpid(void);
  int tgkill(int tgid, int tid, int sig);
]]

local GROUPS = 200
local threads = {}
local next_tid = 1

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  total = tonumber(args[2])
  nthreads = tonumber(args[3])
  done_dir = args[4]
  token = args[5]
  quota = math.ceil(total / nthreads)
  sent, received, non2xx, finished = 0, 0, 0, false
  first_error = ""
  now = os.date("!%Y-%m-%dT%H:%M:%SZ")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if mode == "klaxon" then
    wrk.headers["Authorization"] = "Bearer " .. token
  elseif mode ~= "alertmanager" then
    error("MODE must be klaxon or alertmanager, got " .. tostring(mode))
  end
end

local function klaxon_body(group, instance, fingerprint)
  local labels = string.format('{"alertname":"BenchAlert","group":"%s","instance":"%s"}', group, instance)
  local group_labels = string.format('{"alertname":"BenchAlert","group":"%s"}', group)
  return string.format(
    '{"receiver":"klaxon","status":"firing","alerts":[{"status":"firing","labels":%s,' ..
    '"annotations":{"summary":"bench alert %s"},"startsAt":"%s","endsAt":"0001-01-01T00:00:00Z",' ..
    '"generatorURL":"http://127.0.0.1/bench","fingerprint":"%s"}],' ..
    '"groupLabels":%s,"commonLabels":%s,"commonAnnotations":{"summary":"bench alert %s"},' ..
    '"externalURL":"http://127.0.0.1:9093","version":"4",' ..
    '"groupKey":"{}:{alertname=\\"BenchAlert\\", group=\\"%s\\"}","truncatedAlerts":0}',
    labels, instance, now, fingerprint, group_labels, labels, instance, group)
end

local function alertmanager_body(group, instance)
  return string.format(
    '[{"labels":{"alertname":"BenchAlert","group":"%s","instance":"%s"},' ..
    '"annotations":{"summary":"bench alert %s"},"generatorURL":"http://127.0.0.1/bench"}]',
    group, instance, instance)
end

function request()
  sent = sent + 1
  local n = (sent - 1) * nthreads + (tid - 1)          -- unique across threads
  local group = string.format("g%03d", n % GROUPS)
  local instance = string.format("i%d-%d", tid, sent)
  local body
  if mode == "klaxon" then
    body = klaxon_body(group, instance, string.format("%04x%012x", tid, sent))
  else
    body = alertmanager_body(group, instance)
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  received = received + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 200) end
  end
  if not finished and received >= quota then
    finished = true
    local f = io.open(done_dir .. "/done." .. tid, "w")
    if f then f:close() end
    local all = true
    for t = 1, nthreads do
      local g = io.open(done_dir .. "/done." .. t, "r")
      if g then g:close() else all = false end
    end
    if all then
      local pid = ffi.C.getpid()
      ffi.C.tgkill(pid, pid, 2)   -- SIGINT to wrk's main thread: stop and report
    end
  end
end

function done(summary, latency, requests)
  local non2xx_lua, first = 0, ""
  for _, t in ipairs(threads) do
    non2xx_lua = non2xx_lua + (t:get("non2xx") or 0)
    local e = t:get("first_error")
    if first == "" and e and e ~= "" then first = e end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCHRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d non2xx_lua=%d " ..
    "connect_err=%d read_err=%d write_err=%d timeout_err=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, non2xx_lua, e.connect, e.read, e.write, e.timeout))
  if first ~= "" then
    io.write("BENCHFIRSTERROR " .. first:gsub("[\r\n]", " ") .. "\n")
  end
end
