# Tests of the study runner's area (issue 4).
pz_test(test_journal)
