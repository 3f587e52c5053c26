-- expect-line: 4
-- expect: bad argument #2 to 'uniform' (number expected, got string)
return {
  space = { x = hp.uniform("x", "low", 1) },
}
