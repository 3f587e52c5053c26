-- expect-line: 5
-- expect: field 'space' must be a table or an hp expression (got number)
return {
  name = "s",
  space = 5,
}
