-- The Rosenbrock function in 2-D on [-5, 10]^2: minimum 0 at (1, 1).
return {
  name = "rosenbrock2",
  space = { x1 = hp.uniform("x1", -5, 10), x2 = hp.uniform("x2", -5, 10) },
  objective = function(p) return 100 * (p.x2 - p.x1 ^ 2) ^ 2 + (1 - p.x1) ^ 2 end,
  max_evals = 200,
}
