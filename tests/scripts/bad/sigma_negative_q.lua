-- expect-line: 4
-- expect: bad argument #3 to 'qlognormal' (sigma must be > 0
return {
  space = { x = hp.qlognormal("x", 0, -1, 1) },
}
