-- expect-line: 4
-- expect: bad argument #4 to 'qloguniform' (q must be > 0
return {
  space = { x = hp.qloguniform("x", 0, 3, -1) },
}
