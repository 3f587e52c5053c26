-- expect-line: 5
-- expect: field 'max_evals' must be an integer >= 1 (got -3)
return {
  space = { x = hp.uniform("x", 0, 1) },
  max_evals = -3,
}
