-- hyperopt's test domain quadratic1: a 1-D parabola, minimum 0 at x = 3.
return {
  name = "quadratic1",
  space = { x = hp.uniform("x", -5, 5) },
  objective = function(p) return (p.x - 3) ^ 2 end,
  max_evals = 200,
}
