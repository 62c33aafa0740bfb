# A kernel test of PCI, virtio and virtio-net: it needs the network drivers.
CERES_NEEDS := net
