-- expect-line: 5
-- expect: space.f: a space holds hp expressions, numbers, strings, booleans and tables, not a function
return {
  space = {
    f = function() end,
  },
}
