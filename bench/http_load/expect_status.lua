-- Every scenario of bench/bench_http.py: wrk sends the scenario's request and this script checks
-- EVERY response against the expected status (and text the body must hold), so an error page is
-- never counted as throughput. bench/http_load/wrk.py writes the `scenario` table above this file.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   if on_setup then
      on_setup(thread, #threads)
   end
end

function init(args)
   wrk.method = scenario.method
   wrk.path = scenario.path
   wrk.body = scenario.body
   for name, value in pairs(scenario.headers) do
      wrk.headers[name] = value
   end
   mismatches = 0
end

local function describe(status, headers, body)
   local lines = { "HTTP " .. status }
   for name, value in pairs(headers) do
      table.insert(lines, name .. ": " .. value)
   end
   table.insert(lines, "")
   table.insert(lines, body:sub(1, 2000))
   return table.concat(lines, "\n")
end

function response(status, headers, body)
   local expected = status == scenario.expected_status
      and body:find(scenario.expected_body, 1, true) ~= nil
   if not expected then
      mismatches = mismatches + 1
      first_mismatch = first_mismatch or describe(status, headers, body)
   elseif on_response then
      on_response(status, headers, body)
   end
end

function done(summary, latency, requests)
   local mismatches, first_mismatch = 0, nil
   for _, thread in ipairs(threads) do
      mismatches = mismatches + thread:get("mismatches")
      first_mismatch = first_mismatch or thread:get("first_mismatch")
   end
   local errors = summary.errors
   io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mismatches=%d socket_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      mismatches, errors.connect + errors.read + errors.write + errors.timeout))
   if first_mismatch then
      io.write("BENCH_FIRST_MISMATCH\n", first_mismatch, "\n")
   end
end
