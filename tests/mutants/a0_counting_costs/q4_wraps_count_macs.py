# cell: q4-solution
# loses: q4-tests
# A thin wrapper around the course helper: counts nothing itself, so it must score 0 in
# question 4 (medeff's counters are unusable while the answer is graded).
import medeff as me


def network_macs(model, input_shape):
    return int(me.count_macs(model, tuple(input_shape)))
