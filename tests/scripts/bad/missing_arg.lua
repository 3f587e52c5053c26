-- expect-line: 4
-- expect: bad argument #4 to 'quniform' (number expected, got no value)
return {
  space = { x = hp.quniform("x", 0, 1) },
}
