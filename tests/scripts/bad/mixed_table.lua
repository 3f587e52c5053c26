-- expect-line: 5
-- expect: space.layers: a table must be a list (keys 1..n) or have only string keys
return {
  space = {
    layers = {1, 2, kind = "x"},
  },
}
