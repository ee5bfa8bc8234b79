-- bench.lua: a Lua 5.4 workload for realmbox's application tests and
-- benchmark (tests/py/test_apps.py, scripts/bench_report.py): closures,
-- coroutines, the string library (gsub, format, patterns) and the table
-- library (sort, concat). Deterministic output; `lua5.4 bench.lua [N]`
-- scales the work with N (default 20000).

local n = tonumber(arg and arg[1]) or 20000

-- Closures: counters and an accumulator built from upvalues.
local function counter(step)
	local c = 0
	return function()
		c = c + step
		return c
	end
end
local c1, c3 = counter(1), counter(3)
local acc = 0
for _ = 1, n do
	acc = acc + c1() % 7 + c3() % 5
end
print(string.format("closures: c1=%d c3=%d acc=%d", c1() - 1, c3() - 3, acc))

-- Coroutines: a generator of primes and a consumer that sums them.
local function primes(limit)
	return coroutine.wrap(function()
		local sieve = {}
		for i = 2, limit do
			if not sieve[i] then
				coroutine.yield(i)
				for j = i * i, limit, i do
					sieve[j] = true
				end
			end
		end
	end)
end
local count, sum, last = 0, 0, 0
for p in primes(n * 5) do
	count, sum, last = count + 1, sum + p, p
end
print(string.format("coroutines: %d primes below %d, sum %d, largest %d", count, n * 5, sum, last))

-- Ping-pong between two coroutines through resume/yield values.
local pong = coroutine.create(function(v)
	while true do
		v = coroutine.yield(v * 2 % 1000003)
	end
end)
local v = 1
for _ = 1, n do
	local ok
	ok, v = coroutine.resume(pong, v + 1)
	assert(ok)
end
print(string.format("ping-pong: %d round trips, value %d", n, v))

-- Strings: build text, then gsub, patterns and format over it.
local words = { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta" }
local parts = {}
for i = 1, n // 4 do
	parts[#parts + 1] = string.format("%s-%04d=%x", words[i % #words + 1], i % 10000, i * 31)
end
local text = table.concat(parts, " ")
local upper, nsub = text:gsub("(%a+)%-(%d+)", function(w, d)
	return w:upper() .. "_" .. tostring(tonumber(d) % 97)
end)
local hexsum = 0
for h in upper:gmatch("=(%x+)") do
	hexsum = hexsum + tonumber(h, 16)
end
local vowels = select(2, text:gsub("[aeiou]", ""))
local first = upper:match("^(%S+)")
local last_word = upper:match("(%S+)$")
print(string.format("strings: %d bytes, %d substitutions, %d vowels, hex sum %d",
	#text, nsub, vowels, hexsum))
print(string.format("strings: first %s last %s find %s rep %s", first, last_word,
	tostring(text:find("gamma-0042", 1, true)), ("ab"):rep(3, ",")))

-- Tables: sort records by two keys with a comparison closure, then concat.
local recs = {}
local seed = 12345
for i = 1, n // 2 do
	seed = (seed * 1103515245 + 12345) % 2147483648
	recs[i] = { key = seed % 1000, id = i }
end
table.sort(recs, function(a, b)
	if a.key ~= b.key then
		return a.key < b.key
	end
	return a.id < b.id
end)
local head = {}
for i = 1, 5 do
	head[i] = recs[i].key .. ":" .. recs[i].id
end
local ordered = true
for i = 2, #recs do
	if recs[i - 1].key > recs[i].key then
		ordered = false
	end
end
local nums = {}
for i = 1, 20 do
	nums[i] = (i * 7919) % 101
end
table.sort(nums, function(a, b) return a > b end)
print("tables: " .. #recs .. " records sorted=" .. tostring(ordered) .. " head " .. table.concat(head, ","))
print("tables: " .. table.concat(nums, " ", 1, 10))
print(string.format("floats: %.6f %g %5.2e", math.pi * n, 1 / 3, 2 ^ 40))
