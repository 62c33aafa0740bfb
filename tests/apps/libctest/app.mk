# Math comes from libc.a in musl; -lm is accepted as on Linux (and finds musl's empty libm.a).
APP_LDLIBS += -lm
