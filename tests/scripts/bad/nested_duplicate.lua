-- expect-line: 7
-- expect: label 'k' is used twice (first at 
local inner = hp.choice("k", {3, 4})
return {
  space = {
    k = hp.choice("opt", {hp.none, inner}),
    z = hp.uniform("k", 0, 1),
  },
}
