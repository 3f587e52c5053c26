-- expect-line: 5
-- expect: bad argument #2 to 'pchoice' (probability 1 must be finite and >= 0
return {
  space = {
    x = hp.pchoice("x", {{-0.5, "a"}, {1.5, "b"}}),
  },
}
