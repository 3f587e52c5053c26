-- The 6-D Hartmann function on [0, 1]^6: global minimum -3.32237.
local A = {
  { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 },
  { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 },
}
local P = {
  { 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 },
  { 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
  { 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 },
  { 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
}
local alpha = { 1.0, 1.2, 3.0, 3.2 }
return {
  name = "hartmann6",
  space = {
    x1 = hp.uniform("x1", 0, 1), x2 = hp.uniform("x2", 0, 1), x3 = hp.uniform("x3", 0, 1),
    x4 = hp.uniform("x4", 0, 1), x5 = hp.uniform("x5", 0, 1), x6 = hp.uniform("x6", 0, 1),
  },
  objective = function(p)
    local x = { p.x1, p.x2, p.x3, p.x4, p.x5, p.x6 }
    local s = 0
    for i = 1, 4 do
      local e = 0
      for j = 1, 6 do e = e + A[i][j] * (x[j] - P[i][j]) ^ 2 end
      s = s + alpha[i] * math.exp(-e)
    end
    return -s
  end,
  max_evals = 200,
}
