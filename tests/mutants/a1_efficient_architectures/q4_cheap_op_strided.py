# cell: q4-solution
# loses: q4-tests
# keeps: q5a-tests, q5b-tests, q5c-tests
# Applies the stride in the cheap operation instead of the primary conv (shapes break for stride 2).
import math


class GhostModule(nn.Module):  # noqa: F821
    def __init__(self, in_channels, out_channels, ratio=2, kernel_size=1, dw_size=3, stride=1,
                 relu=True):
        super().__init__()
        self.out_channels = out_channels
        init = math.ceil(out_channels / ratio)
        new = init * (ratio - 1)
        act = nn.ReLU if relu else nn.Identity  # noqa: F821
        self.primary = nn.Sequential(  # noqa: F821
            nn.Conv2d(in_channels, init, kernel_size, 1, kernel_size // 2, bias=False),  # noqa: F821
            nn.BatchNorm2d(init), act())  # noqa: F821
        self.cheap = nn.Sequential(  # noqa: F821
            nn.Conv2d(init, new, dw_size, stride, dw_size // 2, groups=init, bias=False),  # noqa: F821
            nn.BatchNorm2d(new), act())  # noqa: F821
        self.pool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()  # noqa: F821

    def forward(self, x):
        x1 = self.primary(x)
        return torch.cat([self.pool(x1), self.cheap(x1)], dim=1)[:, :self.out_channels]  # noqa: F821
