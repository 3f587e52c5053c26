-- hyperopt's test domain many_dists: one label of every family; the loss
-- log(1e-12 + z^2) of their sum z is lowest (about -27.6) when z = 0.
return {
  name = "many_dists",
  space = {
    a  = hp.choice("a", { 0, 1, 2 }),
    b  = hp.randint("b", 10),
    bb = hp.randint("bb", 12, 25),
    c  = hp.uniform("c", 4, 7),
    d  = hp.loguniform("d", -2, 0),
    e  = hp.quniform("e", 0, 10, 3),
    f  = hp.qloguniform("f", 0, 3, 2),
    g  = hp.normal("g", 4, 7),
    h  = hp.lognormal("h", -2, 2),
    i  = hp.qnormal("i", 0, 10, 2),
    j  = hp.qlognormal("j", 0, 2, 1),
    k  = hp.pchoice("k", { { 0.1, 0 }, { 0.9, 1 } }),
  },
  objective = function(p)
    local z = p.a + p.b + p.bb + p.c + p.d + p.e + p.f + p.g + p.h + p.i + p.j + p.k
    return math.log(1e-12 + z ^ 2)
  end,
  max_evals = 200,
}
