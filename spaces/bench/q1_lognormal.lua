-- hyperopt's test domain q1_lognormal: a quantised lognormal, minimum 0
-- at x = 10, the loss capped at 10.
return {
  name = "q1_lognormal",
  space = { x = hp.qlognormal("x", 0, 2, 1) },
  objective = function(p) return math.min(0.1 * (p.x - 10) ^ 2, 10) end,
  max_evals = 200,
}
