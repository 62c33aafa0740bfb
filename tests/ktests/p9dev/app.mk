# A kernel test of virtio-9p and the 9P2000.L client: it needs the file-system code.
CERES_NEEDS := fs
