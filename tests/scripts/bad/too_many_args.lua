-- expect-line: 4
-- expect: bad argument #4 to 'uniform' (at most 3 arguments expected)
return {
  space = { x = hp.uniform("x", 0, 1, 2) },
}
