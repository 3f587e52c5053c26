-- expect-line: 0
-- expect: the study has no 'space' field
return {
  name = "s",
}
