-- Appended to every scenario script by bench/lib/harness.py: prints one machine-readable line
-- (prefix WRKJSON) with wrk's own counts, so the harness never scrapes wrk's human output.
-- Latencies are in microseconds; errors.status counts answers with a status above 399.
done = function(summary, latency, requests)
  local e = summary.errors
  local unannounced = 0
  if threads then
    for _, t in ipairs(threads) do unannounced = unannounced + (t:get("unannounced_close") or 0) end
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"unannounced_close": %d, ' ..
    '"latency_us": {"p50": %.1f, "p90": %.1f, "p99": %.1f, "p999": %.1f, "max": %.1f, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, unannounced,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
