-- The soak's request mix for wrk (test/soak): in every ten requests three
-- GET /healthz, three GET /api/v1/auth/me, two GET /api/v1/projects, one
-- POST /api/v1/projects and one DELETE of a project this thread made (a GET
-- of the list while none is waiting). The token and the tenant come from
-- the environment (SOAK_TOKEN, SOAK_SLUG). Each thread counts its answers by
-- status class; done() prints them as "soak-status CLASS COUNT" lines.

local token = os.getenv("SOAK_TOKEN")
local slug = os.getenv("SOAK_SLUG")
local threads = {}

function setup(thread)
	thread:set("id", #threads + 1)
	table.insert(threads, thread)
end

-- seen is global: done() reads it from each thread.
local auth, json, n, made, pending

function init(args)
	auth = {["Authorization"] = "Bearer " .. token, ["X-Tenant-Slug"] = slug}
	json = {["Authorization"] = "Bearer " .. token, ["X-Tenant-Slug"] = slug,
		["Content-Type"] = "application/json"}
	n, made, pending = 0, 0, {}
	seen = {s2 = 0, s3 = 0, s4 = 0, s5 = 0, other = 0}
end

function request()
	n = n + 1
	local k = n % 10
	if k < 3 then
		return wrk.format("GET", "/healthz")
	elseif k < 6 then
		return wrk.format("GET", "/api/v1/auth/me", auth)
	elseif k == 8 then
		made = made + 1
		local body = string.format('{"name":"soak %d-%d","description":"made by the soak"}', id, made)
		return wrk.format("POST", "/api/v1/projects", json, body)
	elseif k == 9 and #pending > 0 then
		return wrk.format("DELETE", "/api/v1/projects/" .. table.remove(pending, 1), auth)
	end
	return wrk.format("GET", "/api/v1/projects?limit=20", auth)
end

function response(status, headers, body)
	local class = "s" .. math.floor(status / 100)
	seen[class] = (seen[class] or 0) + 1
	if status == 201 then
		local pid = body and body:match('"id"%s*:%s*"([0-9a-f-]+)"')
		if pid then table.insert(pending, pid) end
	end
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		local s = t:get("seen")
		for class, count in pairs(s or {}) do
			total[class] = (total[class] or 0) + count
		end
	end
	for class, count in pairs(total) do
		io.write(string.format("soak-status %s %d\n", class, count))
	end
end
