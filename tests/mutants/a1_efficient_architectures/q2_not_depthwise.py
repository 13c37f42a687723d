# cell: q2-solution
# loses: q2-tests
# keeps: q5a-tests, q5b-tests, q5c-tests
# Forgets groups=in_channels: the first conv is an ordinary 3x3 convolution.


class DepthwiseSeparableConv(nn.Module):  # noqa: F821
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, stride, 1, bias=False)  # noqa: F821
        self.bn1 = nn.BatchNorm2d(in_channels)  # noqa: F821
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)  # noqa: F821
        self.bn2 = nn.BatchNorm2d(out_channels)  # noqa: F821

    def forward(self, x):
        x = self.bn1(self.depthwise(x)).relu()
        return self.bn2(self.pointwise(x)).relu()
