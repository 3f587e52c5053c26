-- hyperopt's test domain n_arms (N = 2): a two-armed bandit; arm 0 pays
-- N(-1, 1), arm 1 pays N(0, 1). The loss is noisy: the expected best is -1.
local function gauss()
  local u1, u2 = 1 - math.random(), math.random()
  return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
end
return {
  name = "n_arms",
  space = { arm = hp.choice("x", { 0, 1 }) },
  objective = function(p) return (p.arm == 0 and -1 or 0) + gauss() end,
  max_evals = 200,
}
