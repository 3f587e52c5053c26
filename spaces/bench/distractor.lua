-- hyperopt's test domain distractor: a logistic slope that is easy to
-- follow rightwards, and the real minimum, a narrow spike at x = -10.
return {
  name = "distractor",
  space = { x = hp.uniform("x", -15, 15) },
  objective = function(p)
    local f1 = 1 / (1 + math.exp(-p.x))
    local f2 = 2 * math.exp(-(p.x + 10) ^ 2)
    return -f1 - f2
  end,
  max_evals = 200,
}
