# fuzz throws garbage at every system call, through syscall(): it names every
# optional subsystem, so that the whole table is there to be hit.
CERES_NEEDS := events fs net
