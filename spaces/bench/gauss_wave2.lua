-- hyperopt's test domain gauss_wave2: a noisy bump (noise N(0, 0.1)), and
-- a choice to add sin(x) * amp, amp active only on that branch.
local function gauss()
  local u1, u2 = 1 - math.random(), math.random()
  return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
end
return {
  name = "gauss_wave2",
  space = {
    x  = hp.uniform("x", -20, 20),
    hf = hp.choice("hf", { hp.none, { amp = hp.uniform("amp", 0, 1) } }),
  },
  objective = function(p)
    local t = 0.1 * gauss() + 2 * math.exp(-(p.x / 5) ^ 2)
    if p.hf then t = t + math.sin(p.x) * p.hf.amp end
    return -t
  end,
  max_evals = 200,
}
