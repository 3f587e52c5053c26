-- The Ackley function in 2-D on [-32.768, 32.768]^2: minimum 0 at 0.
return {
  name = "ackley2",
  space = { x1 = hp.uniform("x1", -32.768, 32.768), x2 = hp.uniform("x2", -32.768, 32.768) },
  objective = function(p)
    local s2 = (p.x1 ^ 2 + p.x2 ^ 2) / 2
    local sc = (math.cos(2 * math.pi * p.x1) + math.cos(2 * math.pi * p.x2)) / 2
    return -20 * math.exp(-0.2 * math.sqrt(s2)) - math.exp(sc) + 20 + math.exp(1)
  end,
  max_evals = 200,
}
