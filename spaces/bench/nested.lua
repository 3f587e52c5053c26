-- A deeply nested conditional space of parzen's own: three model kinds,
-- the network's layers behind a choice, its second layer behind another.
-- The minimum, 0, is in the deepest branch: net, two layers, second on,
-- lr = e^-7, n1 = 256, n2 = 64, dropout = 0.3.
local function l2(v) return math.log(math.max(v, 1), 2) end
return {
  name = "nested",
  space = {
    model = hp.choice("model", {
      { kind = "linear", l2 = hp.loguniform("l2", -10, 0) },
      { kind = "tree", depth = hp.quniform("depth", 1, 20, 1),
        criterion = hp.choice("criterion", { "gini", { smooth = hp.uniform("smooth", 0, 1) } }) },
      { kind = "net", lr = hp.loguniform("lr", -10, 0),
        layers = hp.choice("layers", {
          { n_layers = 1, n1 = hp.qloguniform("n1_a", 2.7, 6.3, 16) },
          { n_layers = 2, n1 = hp.qloguniform("n1_b", 2.7, 6.3, 16),
            second = hp.choice("second", {
              hp.none,
              { n2 = hp.qloguniform("n2", 2.7, 6.3, 16), dropout = hp.uniform("dropout", 0, 0.8) },
            }) },
        }) },
    }),
  },
  objective = function(p)
    local m = p.model
    if m.kind == "linear" then return 0.5 + 0.05 * (math.log(m.l2) + 5) ^ 2 end
    if m.kind == "tree" then
      local c = m.criterion == "gini" and 0.05 or 0.1 * (m.criterion.smooth - 0.3) ^ 2
      return 0.35 + 0.002 * (m.depth - 8) ^ 2 + c
    end
    local base = 0.05 * (math.log(m.lr) + 7) ^ 2
    local L = m.layers
    if L.n_layers == 1 then return base + 0.25 + 0.1 * (l2(L.n1) - 7) ^ 2 end
    if not L.second then return base + 0.2 + 0.1 * (l2(L.n1) - 7) ^ 2 end
    local S = L.second
    return base + 0.05 * (l2(L.n1) - 8) ^ 2 + 0.05 * (l2(S.n2) - 6) ^ 2 + 0.5 * (S.dropout - 0.3) ^ 2
  end,
  max_evals = 200,
}
