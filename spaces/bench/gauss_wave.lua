-- hyperopt's test domain gauss_wave: a fast sine on a broad bump; the
-- choice "curve" shifts the sine by pi (hyperopt's choice of x or x + pi).
return {
  name = "gauss_wave",
  space = { x = hp.uniform("x", -20, 20), curve = hp.choice("curve", { 0, 1 }) },
  objective = function(p)
    local t = p.x + (p.curve == 1 and math.pi or 0)
    return -(math.sin(t) + 2 * math.exp(-(t / 5) ^ 2))
  end,
  max_evals = 200,
}
