-- The parzen Lua module from a plain lua5.4: the same hp, prior sampling,
-- space_eval and study loading that the CLI uses.
local parzen = require "parzen"
local hp = parzen.hp
local failures = 0
local function check(cond, what)
  if not cond then
    failures = failures + 1
    io.stderr:write("FAILED: ", what, "\n")
  end
end

check(type(parzen.version) == "string" and parzen.version:match("^%d+%.%d+%.%d+$"), "version string")
check(parzen.none == hp.none, "parzen.none is hp.none")

local space = {
  lr = hp.loguniform("lr", -5, 0),
  units = hp.quniform("units", 16, 256, 16),
  k = hp.randint("k", 3),
  opt = hp.choice("opt", { "adam", { name = "sgd", momentum = hp.uniform("momentum", 0, 1) } }),
  extra = hp.choice("extra", { hp.none, hp.uniformint("n", 1, 3) }),
}

local draws = parzen.sample(space, { n = 200, seed = 3 })
check(#draws == 200, "200 draws")
local seen_sgd, seen_adam = 0, 0
for _, d in ipairs(draws) do
  local p, v = d.params, d.vals
  check(p.lr >= math.exp(-5) and p.lr <= 1, "lr in range")
  check(p.units % 16 == 0 and p.units >= 16 and p.units <= 256, "units multiple of 16")
  check(math.type(p.k) == "integer" and p.k >= 0 and p.k < 3, "k integer in [0,3)")
  if type(p.opt) == "table" then
    seen_sgd = seen_sgd + 1
    check(p.opt.name == "sgd" and p.opt.momentum >= 0 and p.opt.momentum <= 1, "sgd branch")
    check(v.opt == 1 and v.momentum ~= nil, "vals of the sgd branch")
  else
    seen_adam = seen_adam + 1
    check(p.opt == "adam" and v.opt == 0 and v.momentum == nil, "adam branch has no momentum")
  end
  if v.extra == 0 then
    check(p.extra == nil and v.n == nil, "extra none")
  else
    check(math.type(p.extra) == "integer" and p.extra >= 1 and p.extra <= 3, "extra int")
  end
end
check(seen_sgd > 60 and seen_adam > 60, "both branches drawn")

-- Same seed, same draws; another seed, other draws.
local again = parzen.sample(space, { n = 200, seed = 3 })
local other = parzen.sample(space, { n = 200, seed = 4 })
local same, differ = true, false
for i = 1, 200 do
  if again[i].params.lr ~= draws[i].params.lr then same = false end
  if other[i].params.lr ~= draws[i].params.lr then differ = true end
end
check(same, "same seed gives the same draws")
check(differ, "another seed gives other draws")

local p = parzen.space_eval(space, { lr = 0.5, units = 32.0, k = 2, opt = 1, momentum = 0.9, extra = 0 })
check(p.opt.name == "sgd" and p.opt.momentum == 0.9 and p.k == 2 and p.extra == nil, "space_eval")

local ok, err = pcall(hp.quniform, "q", 0, 1, 0)
check(not ok and err:match("bad argument #4 to 'parzen%.hp%.quniform' %(q must be > 0"), "q error: " .. tostring(err))
ok, err = pcall(parzen.space_eval, space, { lr = 0.5 })
check(not ok and err:match("no value for active label '%a+'"), "missing label named: " .. tostring(err))

local src = os.getenv("PZ_SOURCE_DIR") or "."
local study = assert(parzen.load_study(src .. "/spaces/cifar100_resnet.lua"))
check(study.name == "cifar100-resnet" and #study.labels == 22, "study loads")
local bad, msg = parzen.load_study(src .. "/tests/scripts/bad/q_zero.lua")
check(bad == nil and msg:match("q_zero%.lua:4: bad argument #4"), "bad study message: " .. tostring(msg))

if failures > 0 then
  io.stderr:write(failures, " check(s) failed\n")
  os.exit(1)
end
print("lua module: all checks passed")
