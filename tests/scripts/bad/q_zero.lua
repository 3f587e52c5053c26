-- expect-line: 4
-- expect: bad argument #4 to 'quniform' (q must be > 0
return {
  space = { x = hp.quniform("x", 0, 10, 0) },
}
