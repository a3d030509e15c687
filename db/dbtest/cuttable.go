package dbtest

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"procura/db"
)

// Cuttable opens the package's PostgreSQL database through a TCP relay on
// loopback that the test can cut: cut closes every relayed connection and
// refuses new ones, as a database server that went away. For tests of what
// people and clients see while the database is unreachable.
func Cuttable(tb testing.TB) (d *db.DB, cut func()) {
	tb.Helper()
	target, err := url.Parse(PostgresURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  bool
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target.Host)
			mu.Lock()
			if err != nil || done {
				mu.Unlock()
				c.Close()
				if up != nil {
					up.Close()
				}
				continue
			}
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	cut = func() {
		mu.Lock()
		defer mu.Unlock()
		done = true
		ln.Close()
		for _, c := range conns {
			c.Close()
		}
	}
	tb.Cleanup(cut)
	via := *target
	via.Host = ln.Addr().String()
	d, err = db.Open(context.Background(), via.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d, cut
}
