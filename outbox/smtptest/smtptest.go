// Package smtptest is a real SMTP server on loopback for tests: STARTTLS
// with a certificate of its own, AUTH PLAIN, and every message it accepts
// kept (github.com/emersion/go-smtp).
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"procura/outbox"
)

// Server is a running test SMTP server.
type Server struct {
	mu       sync.Mutex
	received []Received
	srv      *smtp.Server
	ln       net.Listener
	addr     string
	pool     *x509.CertPool
	cert     tls.Certificate
	refuse   *smtp.SMTPError
	// unknown are recipients answered 550 at RCPT (RefuseRecipient).
	unknown map[string]bool
}

// Received is one accepted message: its envelope, raw data and the user
// that authenticated.
type Received struct {
	From string
	To   []string
	Data string
	User string
}

// The credentials the server accepts.
const (
	User     = "procura"
	Password = "mot-de-passe-smtp"
)

// Start serves on a free loopback port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	m := &Server{}
	cert, pool := selfSigned(t)
	m.pool, m.cert = pool, cert
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	m.serve(ln, cert)
	t.Cleanup(m.Stop)
	return m
}

func (m *Server) serve(ln net.Listener, cert tls.Certificate) {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{server: m}, nil }))
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	m.mu.Lock()
	m.srv, m.ln = s, ln
	m.mu.Unlock()
	go s.Serve(ln)
}

// Stop closes the server: connections are refused until Restart.
func (m *Server) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.srv != nil {
		m.srv.Close()
		// Serve may not have taken the listener yet: close it too.
		m.ln.Close()
		m.srv = nil
	}
}

// Restart serves again on the same address after Stop.
func (m *Server) Restart(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		t.Fatal(err)
	}
	m.serve(ln, m.cert)
}

// Refuse makes every DATA answer err (nil: accept again).
func (m *Server) Refuse(err *smtp.SMTPError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refuse = err
}

// RefuseRecipient makes RCPT TO:<address> answer 550 5.1.1, as a server
// does for a mailbox that does not exist.
func (m *Server) RefuseRecipient(address string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unknown == nil {
		m.unknown = map[string]bool{}
	}
	m.unknown[address] = true
}

// Messages returns the messages accepted so far.
func (m *Server) Messages() []Received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Received(nil), m.received...)
}

// Config is how the outbox reaches this server (STARTTLS mandatory, AUTH).
func (m *Server) Config() outbox.SMTPConfig {
	host, port, _ := net.SplitHostPort(m.addr)
	p, _ := strconv.Atoi(port)
	return outbox.SMTPConfig{Host: host, Port: p, Username: User, Password: Password,
		From: "ne-pas-repondre@procura.example.fr", FromName: "Procura", StartTLS: outbox.StartTLSMandatory,
		Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: m.pool, ServerName: "127.0.0.1"}}
}

type session struct {
	server *Server
	user   string
	msg    Received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != User || pass != Password {
			return errors.New("bad credentials")
		}
		s.user = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.msg = Received{From: from, User: s.user}
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.server.mu.Lock()
	unknown := s.server.unknown[to]
	s.server.mu.Unlock()
	if unknown {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	if s.server.refuse != nil {
		return s.server.refuse
	}
	s.msg.Data = string(b)
	s.server.received = append(s.server.received, s.msg)
	return nil
}
func (s *session) Reset()        { s.msg = Received{} }
func (s *session) Logout() error { return nil }

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}
