-- expect-line: 5
-- expect: bad argument #3 to 'loguniform' (high must be > low
return {
  space = {
    x = hp.loguniform("x", 0, 0),
  },
}
