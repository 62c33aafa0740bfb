/*
 * The network stack (docs/net.md): Ethernet, ARP, IPv4, ICMP echo and UDP
 * over the first network device, configured by the netdev.* parameters or
 * by DHCP. The socket calls are in lib/net/socket.h.
 */
#ifndef LIB_NET_NET_H
#define LIB_NET_NET_H

/*
 * Attaches the stack to the first network device, applies the static
 * configuration or starts DHCP, and starts the network thread. Boot, after
 * the drivers; does not wait for DHCP. 0, or -ENOMEM (no thread). Without
 * a device: 0, and sockets reach only 127.0.0.0/8.
 */
int net_init(void);

/* Logs the stack's counters (the exit report). */
void net_report(void);
/*
 * On the way out: waits (at most NET_TCP_DRAIN_MS) until the peers have
 * acknowledged everything written to TCP connections, the network thread
 * sending and resending it meanwhile (a process's exit on Linux leaves
 * that to the kernel; here the kernel ends with it); then (at most
 * NET_DRAIN_MS) until the device has sent every frame it was given, so
 * that the application's last replies leave before the VM powers off.
 * Warns about what was left.
 */
#define NET_TCP_DRAIN_MS 1000
#define NET_DRAIN_MS 200
void net_drain(void);

#endif
