-- expect-line: 4
-- expect: bad argument #3 to 'uniform' (number must be finite)
return {
  space = { x = hp.uniform("x", 0, math.huge) },
}
