-- A quadratic behind a choice: branch "one" bottoms out at 0.5, branch
-- "two" (two labels) at 0, at (y, z) = (-2, 1).
return {
  name = "cond_quadratic",
  space = {
    branch = hp.choice("branch", {
      { kind = "one", x = hp.uniform("x", -5, 5) },
      { kind = "two", y = hp.uniform("y", -5, 5), z = hp.uniform("z", -5, 5) },
    }),
  },
  objective = function(p)
    local b = p.branch
    if b.kind == "one" then return (b.x - 1) ^ 2 + 0.5 end
    return (b.y + 2) ^ 2 + (b.z - 1) ^ 2
  end,
  max_evals = 200,
}
