-- wrk script for scripts/bench-server: POST the JSON body in the file $BENCH_BODY and print a
-- key=value summary that bench-server parses. Latencies are in microseconds.
local path = assert(os.getenv("BENCH_BODY"), "BENCH_BODY is not set")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
	local errors = summary.errors
	io.write(string.format("requests=%d\n", summary.requests))
	io.write(string.format("duration_us=%d\n", summary.duration))
	io.write(string.format("p50_us=%d\n", latency:percentile(50)))
	io.write(string.format("p99_us=%d\n", latency:percentile(99)))
	-- status counts responses that are not 2xx or 3xx.
	io.write(string.format("errors=%d\n",
		errors.connect + errors.read + errors.write + errors.status + errors.timeout))
end
