-- expect-line: 4
-- expect: bad argument #1 to 'uniform' (string expected, got number)
return {
  space = { x = hp.uniform(3, 0, 1) },
}
