# cell: q5-solution
# loses: q5a-tests, q5c-tests
# Layer 6 is an ordinary conv instead of a Ghost module, and the ratio is inverted.
import medeff as me


def build_small_net(num_classes=8):
    return nn.Sequential(  # noqa: F821
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),  # noqa: F821
        DepthwiseSeparableConv(16, 32, stride=2),  # noqa: F821
        GhostModule(32, 64),  # noqa: F821
        DepthwiseSeparableConv(64, 64, stride=2),  # noqa: F821
        nn.Sequential(nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU()),  # noqa: F821
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, num_classes),  # noqa: F821
    )


_net = build_small_net(8)
small_net_macs = me.count_macs(_net, (1, 28, 28))
small_net_params = me.count_params(_net)
ghost_mac_ratio = (me.count_macs(GhostModule(64, 128, kernel_size=3), (64, 7, 7))  # noqa: F821
                   / me.count_macs(nn.Conv2d(64, 128, 3, padding=1, bias=False), (64, 7, 7)))  # noqa: F821
