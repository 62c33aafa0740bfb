# sysabi makes the file calls through syscall(), which the build cannot see:
# it names the VFS itself.
CERES_NEEDS := fs
