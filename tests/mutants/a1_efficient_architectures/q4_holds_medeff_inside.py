# cell: q4-solution
# loses: q4-tests
# keeps: q5a-tests, q5b-tests, q5c-tests
# A module defined in the notebook that only holds medeff's GhostModule inside.
from torch import nn

from medeff.models.efficient import GhostModule as _CourseGhost


class GhostModule(nn.Module):
    def __init__(self, in_channels, out_channels, *, ratio=2, kernel_size=1, dw_size=3,
                 stride=1, relu=True):
        super().__init__()
        self.inner = _CourseGhost(in_channels, out_channels, ratio=ratio,
                                  kernel_size=kernel_size, dw_size=dw_size, stride=stride,
                                  relu=relu)

    def forward(self, x):
        return self.inner(x)
