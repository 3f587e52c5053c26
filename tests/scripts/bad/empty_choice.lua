-- expect-line: 4
-- expect: bad argument #2 to 'choice' (options must be a non-empty list
return {
  space = { x = hp.choice("x", {}) },
}
