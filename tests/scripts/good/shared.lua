-- One hyperparameter used at two places (as one Python object can be in
-- hyperopt): a single label whose value appears twice in params.
local width = hp.quniform("width", 16, 64, 16)
return {
  space = {
    encoder = { width = width, depth = hp.randint("depth", 1, 4) },
    decoder = { width = width },
    tags = { "a", 2, 2.5, true, hp.none },
  },
  max_evals = 5,
  seed = 11,
  trainer = { epochs = 2, sizes = { 1, 2, 3 } },
}
