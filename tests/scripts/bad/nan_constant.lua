-- expect-line: 5
-- expect: space.a: numbers in a space must be finite
return {
  space = {
    a = 0/0,
  },
}
