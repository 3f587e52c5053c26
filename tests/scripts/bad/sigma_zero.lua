-- expect-line: 4
-- expect: bad argument #3 to 'normal' (sigma must be > 0
return {
  space = { x = hp.normal("x", 0, 0) },
}
