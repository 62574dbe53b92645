// Package kvtest holds the logic shared by the "kv" interop test plugin
// (plugin/kvplugin) and the Go test host (cmd/plugin-host).
//
// The package is compiled twice: once in the module tilores-plugin-rs/go-interop
// (go-plugin v1.4.3) and once, through a replace directive, in the nested module
// tilores-plugin-rs/go-interop/latest (go-plugin v1.8.0). It only uses the part of
// the go-plugin API that is identical in both versions (ClientConfig, Client,
// MuxBroker, Serve, Plugin), so the same source builds against either; the main
// packages are one-line wrappers.
//
// Protocol contract (what a Rust peer must implement to talk to these programs):
//
//   - handshake: ProtocolVersion 1, cookie TILORES_TEST_PLUGIN=interop, netrpc;
//   - plugin set {"kv"}; the dispensed stream serves net/rpc service "Plugin" with
//     Put(KV, *bool), Get(string, *string), Print(string, *bool),
//     Log(LogArgs, *bool), Callback(uint32, *string), Sleep(int, *int),
//     Crash(int, *bool);
//   - for Callback the host offers, through its MuxBroker, a net/rpc server with
//     the method Hello(string, *string) registered under the service names
//     "Host" and "Plugin"; the plugin calls "Host.Hello" with the argument
//     "kvplugin" (and falls back to "Plugin.Hello" when the host has no "Host"
//     service, which is what go-plugin's MuxBroker.AcceptAndServe registers).
package kvtest

import (
	"fmt"
	"net"
	"net/rpc"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

// Handshake of the kv test plugin (shared by kvplugin and plugin-host).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "TILORES_TEST_PLUGIN",
	MagicCookieValue: "interop",
}

// PluginName is the name of the only plugin in the plugin set.
const PluginName = "kv"

// KV is the argument of Plugin.Put (gob struct {Key string; Value string}).
type KV struct {
	Key   string
	Value string
}

// LogArgs is the argument of Plugin.Log.
type LogArgs struct {
	Level   string // trace, debug, info, warn, error
	Message string
	Fields  map[string]string
}

// HelloArgument is the string the plugin passes to Host.Hello in Callback.
const HelloArgument = "kvplugin"

// HelloReply is what the host's Hello returns for a name.
func HelloReply(name string) string { return "hello " + name + " from host" }

// ---------------------------------------------------------------------------
// Plugin side
// ---------------------------------------------------------------------------

// store is the process-wide key/value map shared by every dispensed server
// (all connections, all Dispense calls).
var store = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

// Server is the net/rpc receiver registered as service "Plugin" on each
// brokered stream. One Server is created per Dispense; dial is that
// connection's MuxBroker.Dial, used by Callback.
type Server struct {
	dial   func(id uint32) (net.Conn, error)
	logger hclog.Logger
}

// Put stores args.Value under args.Key; reply is always true.
func (s *Server) Put(args KV, reply *bool) error {
	store.Lock()
	store.m[args.Key] = args.Value
	store.Unlock()
	*reply = true
	return nil
}

// Get returns the value stored under key or the error "no such key: <key>".
func (s *Server) Get(key string, reply *string) error {
	store.Lock()
	v, ok := store.m[key]
	store.Unlock()
	if !ok {
		return fmt.Errorf("no such key: %s", key)
	}
	*reply = v
	return nil
}

// Print writes text to os.Stdout and "err:"+text to os.Stderr. After
// plugin.Serve has started these are go-plugin's pipes, whose contents travel
// on yamux streams 3 and 5 to the host's SyncStdout/SyncStderr.
func (s *Server) Print(text string, reply *bool) error {
	if _, err := fmt.Fprint(os.Stdout, text); err != nil {
		return err
	}
	if _, err := fmt.Fprint(os.Stderr, "err:"+text); err != nil {
		return err
	}
	*reply = true
	return nil
}

// Log logs args.Message at args.Level with args.Fields (sorted by key) as
// key/value pairs through the plugin's hclog JSON logger, which writes to the
// process's real stderr (fd 2), where the host re-logs each line.
func (s *Server) Log(args LogArgs, reply *bool) error {
	level := hclog.LevelFromString(args.Level)
	if level == hclog.NoLevel || level == hclog.Off {
		return fmt.Errorf("unknown log level: %q", args.Level)
	}
	keys := make([]string, 0, len(args.Fields))
	for k := range args.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kv := make([]interface{}, 0, 2*len(keys))
	for _, k := range keys {
		kv = append(kv, k, args.Fields[k])
	}
	s.logger.Log(level, args.Message, kv...)
	*reply = true
	return nil
}

// Callback dials the host through the MuxBroker with the given id, calls
// Host.Hello("kvplugin") on a net/rpc client over that stream and returns the
// reply. If the host has no service "Host" (e.g. it used
// MuxBroker.AcceptAndServe, which always registers "Plugin"), Plugin.Hello is
// tried instead.
func (s *Server) Callback(id uint32, reply *string) error {
	conn, err := s.dial(id)
	if err != nil {
		return fmt.Errorf("broker dial %d: %v", id, err)
	}
	c := rpc.NewClient(conn)
	defer c.Close()
	var r string
	err = c.Call("Host.Hello", HelloArgument, &r)
	if err != nil && err.Error() == "rpc: can't find service Host.Hello" {
		err = c.Call("Plugin.Hello", HelloArgument, &r)
	}
	if err != nil {
		return err
	}
	*reply = r
	return nil
}

// Sleep sleeps ms milliseconds and replies ms.
func (s *Server) Sleep(ms int, reply *int) error {
	time.Sleep(time.Duration(ms) * time.Millisecond)
	*reply = ms
	return nil
}

// Crash terminates the plugin process immediately with the given status (the
// call never gets a reply).
func (s *Server) Crash(code int, reply *bool) error {
	os.Exit(code)
	return nil
}

// ---------------------------------------------------------------------------
// Host side
// ---------------------------------------------------------------------------

// Client is what the host gets from Dispense("kv"): typed wrappers around the
// brokered net/rpc client, plus that connection's MuxBroker.
type Client struct {
	RPC    *rpc.Client
	Broker *plugin.MuxBroker
}

// Put calls Plugin.Put.
func (c *Client) Put(key, value string) error {
	var ok bool
	return c.RPC.Call("Plugin.Put", KV{Key: key, Value: value}, &ok)
}

// Get calls Plugin.Get.
func (c *Client) Get(key string) (string, error) {
	var v string
	err := c.RPC.Call("Plugin.Get", key, &v)
	return v, err
}

// Print calls Plugin.Print.
func (c *Client) Print(text string) error {
	var ok bool
	return c.RPC.Call("Plugin.Print", text, &ok)
}

// Log calls Plugin.Log.
func (c *Client) Log(level, message string, fields map[string]string) error {
	var ok bool
	return c.RPC.Call("Plugin.Log", LogArgs{Level: level, Message: message, Fields: fields}, &ok)
}

// Callback calls Plugin.Callback.
func (c *Client) Callback(id uint32) (string, error) {
	var r string
	err := c.RPC.Call("Plugin.Callback", id, &r)
	return r, err
}

// Sleep calls Plugin.Sleep.
func (c *Client) Sleep(ms int) (int, error) {
	var r int
	err := c.RPC.Call("Plugin.Sleep", ms, &r)
	return r, err
}

// Crash calls Plugin.Crash (expected to fail: the plugin exits).
func (c *Client) Crash(code int) error {
	var ok bool
	return c.RPC.Call("Plugin.Crash", code, &ok)
}

// HostService is the service a host offers to the plugin through the broker
// (scenario "callback").
type HostService struct{}

// Hello replies "hello <name> from host".
func (HostService) Hello(name string, reply *string) error {
	*reply = HelloReply(name)
	return nil
}

// ---------------------------------------------------------------------------
// go-plugin glue
// ---------------------------------------------------------------------------

// KVPlugin implements plugin.Plugin for both sides. On the plugin side Logger
// must be set (the logger Plugin.Log writes to).
type KVPlugin struct {
	Logger hclog.Logger
}

// Server returns a fresh Server bound to the connection's broker.
func (p *KVPlugin) Server(b *plugin.MuxBroker) (interface{}, error) {
	return &Server{dial: b.Dial, logger: p.Logger}, nil
}

// Client wraps the brokered rpc.Client.
func (p *KVPlugin) Client(b *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &Client{RPC: c, Broker: b}, nil
}

// ModuleVersion returns the version of the given module linked into this
// binary (e.g. "v1.4.3" for github.com/hashicorp/go-plugin), or "" if unknown.
func ModuleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}
