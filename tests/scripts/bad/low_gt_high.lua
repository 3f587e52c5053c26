-- expect-line: 6
-- expect: bad argument #3 to 'quniform' (high must be > low
return {
  space = {

    x = hp.quniform("x", 5, -5, 1),
  },
}
