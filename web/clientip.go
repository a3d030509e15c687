package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the address of the person making the request, for
// lockout per IP and for the log. Behind a trusted proxy
// (TrustProxyHeaders) it is the last address of X-Forwarded-For: the one
// our proxy appended; earlier ones are whatever the client claimed.
// Otherwise, or when that header is absent or unreadable, it is the
// connection's peer.
func (s *Server) clientIP(r *http.Request) string {
	if s.settings.TrustProxyHeaders {
		if values := r.Header.Values("X-Forwarded-For"); len(values) > 0 {
			last := values[len(values)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if addr, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return addr.Unmap().String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr.Unmap().String()
	}
	return host
}
