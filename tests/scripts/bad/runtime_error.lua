-- expect-line: 4
-- expect: the script gave up
local x = 1
error("the script gave up")
