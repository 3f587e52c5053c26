-- expect-line: 5
-- expect: '}' expected
return {
  space = { x = hp.uniform("x", 0, 1) }
  max_evals = 3,
}
