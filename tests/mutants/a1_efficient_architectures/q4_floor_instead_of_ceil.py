# cell: q4-solution
# loses: q4-tests
# keeps: q5a-tests, q5b-tests, q5c-tests
# init_channels = out_channels // ratio: too few channels when ratio does not divide out_channels.


class GhostModule(nn.Module):  # noqa: F821
    def __init__(self, in_channels, out_channels, ratio=2, kernel_size=1, dw_size=3, stride=1,
                 relu=True):
        super().__init__()
        self.out_channels = out_channels
        init = max(1, out_channels // ratio)
        new = out_channels - init
        act = nn.ReLU if relu else nn.Identity  # noqa: F821
        self.primary = nn.Sequential(  # noqa: F821
            nn.Conv2d(in_channels, init, kernel_size, stride, kernel_size // 2, bias=False),  # noqa: F821
            nn.BatchNorm2d(init), act())  # noqa: F821
        self.cheap = nn.Sequential(  # noqa: F821
            nn.Conv2d(init, new, dw_size, 1, dw_size // 2, groups=init, bias=False),  # noqa: F821
            nn.BatchNorm2d(new), act())  # noqa: F821

    def forward(self, x):
        x1 = self.primary(x)
        return torch.cat([x1, self.cheap(x1)], dim=1)[:, :self.out_channels]  # noqa: F821
