-- expect-line: 6
-- expect: label 'lr' is used twice (first at 
return {
  space = {
    a = hp.uniform("lr", 0, 1),
    b = hp.uniform("lr", 0, 2),
  },
}
