-- One connection per request: the request says "Connection: close", the server answers and
-- closes, and wrk (which follows the response's keep-alive state) reconnects for the next one.
--
-- Some servers (hyper, Bun) close without saying "Connection: close" in the answer; RFC 9112
-- section 9.6 only says SHOULD. wrk then sees an EOF where it expected another response and counts
-- a read error although the request completed. Those answers are counted here
-- (unannounced_close), and the harness subtracts them from wrk's read errors.
wrk.headers["Connection"] = "close"

threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) unannounced_close = 0 end
response = function(status, headers, body)
  local c = headers["Connection"] or headers["connection"]
  if not c or c:lower() ~= "close" then unannounced_close = unannounced_close + 1 end
end
