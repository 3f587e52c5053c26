-- expect-line: 5
-- expect: bad argument #2 to 'pchoice' (probabilities must sum to 1
return {
  space = {
    x = hp.pchoice("x", {{0.5, "a"}, {0.4, "b"}}),
  },
}
