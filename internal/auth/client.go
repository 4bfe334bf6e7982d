package auth

import "net/netip"

// Client is who sends a request, as far as "my sessions" shows it.
type Client struct {
	Addr      string
	UserAgent string
}

// clientKey is what the per-address throttle counts addr under: an IPv4
// address on its own, but an IPv6 address by its /64, the smallest network
// a client is usually given, from which it can take a fresh address for
// each attempt. An IPv4-mapped IPv6 address is its IPv4 address. Anything
// that is not an address (which the IP extractor should not give) counts
// as itself.
func clientKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}
