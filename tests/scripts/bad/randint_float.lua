-- expect-line: 4
-- expect: bad argument #2 to 'randint' (randint bounds must be integers)
return {
  space = { x = hp.randint("x", 2.5) },
}
