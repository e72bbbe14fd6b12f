-- GET /users/{id} over 1000 different integer ids, prepared once (wrk.format per request would
-- cost the load generator more than the server).
local reqs = {}
local n = 1000
local i = 0
init = function(args)
  for k = 1, n do reqs[k] = wrk.format("GET", "/users/" .. ((k * 7919) % 1000003)) end
end
request = function()
  i = i % n + 1
  return reqs[i]
end
