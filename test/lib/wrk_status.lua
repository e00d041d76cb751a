-- wrk script for the fault and restart suites (test/lib/faults.bash): counts
-- every answer by status and prints, after the run, one line per status
-- ("status 200 1234") and one for the socket errors ("errors connect 0 read 0
-- write 0 timeout 0"), which wrk otherwise reports only in prose.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	counts = {}
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
	local all = {}
	for _, t in ipairs(threads) do
		for status, n in pairs(t:get("counts")) do
			all[status] = (all[status] or 0) + n
		end
	end
	for status, n in pairs(all) do
		io.write(string.format("status %d %d\n", status, n))
	end
	local e = summary.errors
	io.write(string.format("errors connect %d read %d write %d timeout %d\n",
		e.connect, e.read, e.write, e.timeout))
end
