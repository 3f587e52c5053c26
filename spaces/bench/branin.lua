-- The Branin function (hyperopt's test domain): three global minima of
-- 0.397887 at (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).
return {
  name = "branin",
  space = { x = hp.uniform("x", -5, 10), y = hp.uniform("y", 0, 15) },
  objective = function(p)
    local b, c, t = 5.1 / (4 * math.pi ^ 2), 5 / math.pi, 1 / (8 * math.pi)
    return (p.y - b * p.x ^ 2 + c * p.x - 6) ^ 2 + 10 * (1 - t) * math.cos(p.x) + 10
  end,
  max_evals = 200,
}
