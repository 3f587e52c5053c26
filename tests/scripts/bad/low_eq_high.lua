-- expect-line: 5
-- expect: bad argument #3 to 'uniform' (high must be > low
return {
  space = {
    x = hp.uniform("x", 1, 1),
  },
}
