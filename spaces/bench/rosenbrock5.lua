-- The Rosenbrock function in 5-D on [-5, 10]^5: minimum 0 at (1, ..., 1).
local space = {}
for i = 1, 5 do space["x" .. i] = hp.uniform("x" .. i, -5, 10) end
return {
  name = "rosenbrock5",
  space = space,
  objective = function(p)
    local s = 0
    for i = 1, 4 do
      local a, b = p["x" .. i], p["x" .. (i + 1)]
      s = s + 100 * (b - a ^ 2) ^ 2 + (1 - a) ^ 2
    end
    return s
  end,
  max_evals = 200,
}
