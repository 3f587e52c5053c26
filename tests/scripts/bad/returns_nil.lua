-- expect-line: 0
-- expect: the script must return the study table (it returned nil)
local space = { x = hp.uniform("x", 0, 1) }
