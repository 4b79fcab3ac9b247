-- The refresh scenario, after expect_status.lua: each thread (one connection each) starts from
-- its own refresh token and sends the rotated one the previous response returned, as a client
-- keeping its session alive does. A reused token would revoke its family (reuse protection), so
-- a broken chain fails every later response instead of passing unnoticed.

function on_setup(thread, number)
   thread:set("refresh_token", scenario.refresh_tokens[number])
end

function request()
   return wrk.format(nil, nil, nil, scenario.body .. refresh_token)
end

function on_response(status, headers, body)
   refresh_token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
end
