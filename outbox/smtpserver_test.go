package outbox_test

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

// mailServer is a real SMTP server on loopback: STARTTLS with a
// certificate of its own, AUTH PLAIN, and every message it accepts kept.
type mailServer struct {
	mu       sync.Mutex
	received []received
	srv      *smtp.Server
	ln       net.Listener
	addr     string
	pool     *x509.CertPool
	cert     tls.Certificate
	// refuse, when set, answers every DATA with it.
	refuse *smtp.SMTPError
}

type received struct {
	From string
	To   []string
	Data string
	User string
}

const (
	testUser     = "procura"
	testPassword = "mot-de-passe-smtp"
)

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	m := &mailServer{}
	cert, pool := selfSigned(t)
	m.pool, m.cert = pool, cert
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	m.serve(ln, cert)
	t.Cleanup(m.stop)
	return m
}

func (m *mailServer) serve(ln net.Listener, cert tls.Certificate) {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{server: m}, nil }))
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	m.mu.Lock()
	m.srv, m.ln = s, ln
	m.mu.Unlock()
	go s.Serve(ln)
}

func (m *mailServer) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.srv != nil {
		m.srv.Close()
		// Serve may not have taken the listener yet: close it too.
		m.ln.Close()
		m.srv = nil
	}
}

// restart serves again on the same address after stop.
func (m *mailServer) restart(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		t.Fatal(err)
	}
	m.serve(ln, m.cert)
}

func (m *mailServer) messages() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.received...)
}

func (m *mailServer) config() outbox.SMTPConfig {
	host, port, _ := net.SplitHostPort(m.addr)
	p, _ := strconv.Atoi(port)
	return outbox.SMTPConfig{Host: host, Port: p, Username: testUser, Password: testPassword,
		From: "ne-pas-repondre@procura.example.fr", FromName: "Procura", StartTLS: outbox.StartTLSMandatory,
		Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: m.pool, ServerName: "127.0.0.1"}}
}

type session struct {
	server *mailServer
	user   string
	msg    received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != testUser || pass != testPassword {
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
	s.msg = received{From: from, User: s.user}
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
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
func (s *session) Reset()        { s.msg = received{} }
func (s *session) Logout() error { return nil }

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
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
