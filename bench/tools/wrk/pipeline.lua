-- HTTP/1.1 pipelining, 16 requests written back to back on each connection; wrk counts each
-- answer as one request.
local depth = 16
local batch
init = function(args)
  local r = {}
  for i = 1, depth do r[i] = wrk.format(nil, "/") end
  batch = table.concat(r)
end
request = function() return batch end
