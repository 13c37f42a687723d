# cell: q3-solution
# loses: q3-tests
# keeps: q4-tests
# Counts the bias additions as MACs: in * out + out.


def linear_macs(in_features, out_features):
    return int(in_features * out_features + out_features)
