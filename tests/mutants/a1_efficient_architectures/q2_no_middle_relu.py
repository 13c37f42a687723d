# cell: q2-solution
# loses: q2-tests
# keeps: q5a-tests, q5b-tests, q5c-tests
# Forgets the ReLU between the depthwise and the pointwise convolution.


class DepthwiseSeparableConv(nn.Module):  # noqa: F821
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.body = nn.Sequential(  # noqa: F821
            nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False),  # noqa: F821
            nn.BatchNorm2d(in_channels),  # noqa: F821
            nn.Conv2d(in_channels, out_channels, 1, bias=False),  # noqa: F821
            nn.BatchNorm2d(out_channels),  # noqa: F821
            nn.ReLU(),  # noqa: F821
        )

    def forward(self, x):
        return self.body(x)
