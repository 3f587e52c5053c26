-- Log-scale and quantised labels as in a training run: a learning rate
-- best at 1e-3, a unit count best at 128, a batch size best at 64.
return {
  name = "log_q",
  space = {
    lr    = hp.loguniform("lr", math.log(1e-5), 0),
    units = hp.qloguniform("units", math.log(8), math.log(1024), 8),
    batch = hp.quniform("batch", 16, 256, 16),
  },
  objective = function(p)
    local u = math.max(p.units, 1)
    return (math.log(p.lr, 10) + 3) ^ 2 + (math.log(u, 2) - 7) ^ 2 / 4 + ((p.batch - 64) / 64) ^ 2
  end,
  max_evals = 200,
}
