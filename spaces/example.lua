-- spaces/example.lua: a study is a Lua script that returns a table.
return {
  name  = "example",
  space = {
    lr         = hp.loguniform("lr", math.log(1e-4), math.log(1e-1)),
    batch_size = hp.quniform("batch_size", 32, 256, 32),
    optimizer  = hp.choice("optimizer", {
                   "adam",
                   { name = "sgd", momentum = hp.uniform("momentum", 0.5, 0.99) },
                 }),
    dropout    = hp.pchoice("dropout", { {0.7, hp.none},
                                          {0.3, hp.uniform("p", 0.1, 0.5)} }),
    layers     = hp.randint("layers", 1, 5),     -- integers in [1, 5)
  },
  objective = function(params) return (params.lr - 0.01)^2 end,
  max_evals = 50,
  seed      = 1,
}
