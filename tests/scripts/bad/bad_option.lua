-- expect-line: 4
-- expect: bad argument #2 to 'choice' (option 2: numbers in a space must be finite
return {
  space = { x = hp.choice("x", {1, 0/0}) },
}
