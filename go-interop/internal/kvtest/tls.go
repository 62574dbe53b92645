package kvtest

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/rpc"
	"os"
	"path/filepath"
	"sync"

	plugin "github.com/hashicorp/go-plugin"
)

// TLS of the kv contract (and of dispatcher-host, which reuses these helpers):
//
//   - host -automtls: ClientConfig.AutoMTLS = true. Before Client() the host
//     calls Start() (go-plugin then has built its TLSConfig: host certificate,
//     RootCAs = the plugin's handshake certificate, ServerName localhost) and
//     adds a VerifyConnection callback that records what was negotiated.
//   - host -tls-dir DIR: ClientConfig.TLSConfig = host certificate
//     DIR/client.pem + DIR/client-key.pem, RootCAs = DIR/server.pem,
//     ServerName localhost (go-plugin's user TLS path); recorded the same way.
//   - plugin with KVPLUGIN_TLS_DIR=DIR: ServeConfig.TLSProvider returns
//     DIR/server.pem + DIR/server-key.pem, RequireAndVerifyClientCert with
//     ClientCAs = DIR/client.pem, MinVersion TLS 1.2 (what AutoMTLS builds).
//
// The report ("tls" key of the JSON line): {"version": "TLS 1.3",
// "peer_sha256": hex SHA-256 of the plugin's certificate, "peer_cn",
// "peer_is_root": the peer certificate alone is exactly the RootCAs pool
// (i.e. the certificate of the handshake line, or server.pem, was the one
// negotiated), "verified": Go verified a chain}.

// TLSReport is what VerifyConnection saw (nil: no TLS connection was made).
type TLSReport struct {
	mu  sync.Mutex
	res map[string]interface{}
}

// Get returns the recorded report or nil.
func (r *TLSReport) Get() map[string]interface{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.res
}

// Hook adds the recording VerifyConnection to cfg (which must already hold
// RootCAs).
func (r *TLSReport) Hook(cfg *tls.Config) {
	roots := cfg.RootCAs
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		res := map[string]interface{}{
			"version":  tls.VersionName(cs.Version),
			"cipher":   tls.CipherSuiteName(cs.CipherSuite),
			"verified": len(cs.VerifiedChains) > 0,
		}
		if len(cs.PeerCertificates) > 0 {
			peer := cs.PeerCertificates[0]
			sum := sha256.Sum256(peer.Raw)
			res["peer_sha256"] = hex.EncodeToString(sum[:])
			res["peer_cn"] = peer.Subject.CommonName
			res["peer_key"] = fmt.Sprintf("%T %v", peer.PublicKey, peer.PublicKeyAlgorithm)
			res["peer_sig"] = peer.SignatureAlgorithm.String()
			alone := x509.NewCertPool()
			alone.AddCert(peer)
			res["peer_is_root"] = roots != nil && roots.Equal(alone)
		}
		r.mu.Lock()
		r.res = res
		r.mu.Unlock()
		return nil
	}
}

// StartAutoMTLS runs c.Start() and hooks the TLSConfig go-plugin built into
// cfg (AutoMTLS or the user's). Returns the Start error.
func (r *TLSReport) StartAndHook(c *plugin.Client, cfg *plugin.ClientConfig) error {
	if _, err := c.Start(); err != nil {
		return err
	}
	if cfg.TLSConfig != nil {
		r.Hook(cfg.TLSConfig)
	}
	return nil
}

// ClientTLSFromDir is the host side of the user TLS path (see above).
func ClientTLSFromDir(dir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem"))
	if err != nil {
		return nil, err
	}
	roots, err := poolFromFile(filepath.Join(dir, "server.pem"))
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, ServerName: "localhost"}, nil
}

// ServerTLSFromDir is the plugin side of the user TLS path (see above).
func ServerTLSFromDir(dir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem"))
	if err != nil {
		return nil, err
	}
	cas, err := poolFromFile(filepath.Join(dir, "client.pem"))
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    cas,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

func poolFromFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificate", path)
	}
	return pool, nil
}

// greeterRPC is the host side of go-plugin's examples/basic greeter
// (commons.GreeterRPC in v1.4.3, shared.GreeterRPC in v1.8.0): Plugin.Greet
// with a nil interface{} argument, a string reply.
type greeterRPC struct{ client *rpc.Client }

func (g *greeterRPC) Greet() (string, error) {
	var resp string
	err := g.client.Call("Plugin.Greet", new(interface{}), &resp)
	return resp, err
}

// greeterPlugin is the examples/basic plugin type, host side only.
type greeterPlugin struct{}

func (greeterPlugin) Server(*plugin.MuxBroker) (interface{}, error) {
	return nil, fmt.Errorf("host only")
}

func (greeterPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &greeterRPC{client: c}, nil
}

// greeter: go-plugin's examples/basic host (handshake BASIC_PLUGIN=hello,
// plugin "greeter") against -plugin; greeting = Greet()'s result.
func (h *host) greeter() result {
	c := h.newClient(func(cfg *plugin.ClientConfig) {
		cfg.HandshakeConfig = plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"}
		cfg.Plugins = map[string]plugin.Plugin{"greeter": greeterPlugin{}}
	})
	defer c.Kill()
	if err := hookTLS(c); err != nil {
		return fail("start", err)
	}
	rpcClient, err := safeClient(c)
	if err != nil {
		return fail("client", err)
	}
	raw, err := rpcClient.Dispense("greeter")
	if err != nil {
		return fail("dispense", err)
	}
	greeting, err := raw.(*greeterRPC).Greet()
	if err != nil {
		return fail("greet", err)
	}
	return result{"ok": greeting == "Hello!", "greeting": greeting}
}
