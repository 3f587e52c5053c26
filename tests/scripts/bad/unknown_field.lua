-- expect-line: 5
-- expect: unknown study field 'max_eval' (did you mean 'max_evals'?)
return {
  space = { x = hp.uniform("x", 0, 1) },
  max_eval = 10,
}
