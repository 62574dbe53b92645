package kvtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

// result is one scenario's report; printed as one JSON line (keys sorted).
type result map[string]interface{}

// host holds the parsed flags and the capture of the host's own stderr.
type host struct {
	pluginPath   string
	reattach     *plugin.ReattachConfig
	idle         time.Duration
	startTimeout time.Duration
	cookie       string
	autoMTLS     bool
	tlsDir       string

	stderrW    *os.File      // write end that replaced os.Stderr
	stderrBuf  *syncBuffer   // everything written to it
	stderrDone chan struct{} // closed when the copier has finished
}

// scenarios maps -scenario names to their implementation.
var scenarios = map[string]func(*host) result{
	"basic":           (*host).basic,
	"callback":        (*host).callback,
	"stdio":           (*host).stdio,
	"chatty":          (*host).chatty,
	"logs":            (*host).logs,
	"concurrent":      (*host).concurrent,
	"idle":            (*host).idleScenario,
	"kill-only":       (*host).killOnly,
	"reattach-print":  (*host).reattachPrint,
	"reattach-use":    (*host).reattachUse,
	"start-only":      (*host).startOnly,
	"die-after-start": (*host).dieAfterStart,
	"greeter":         (*host).greeter,
}

// HostMain is the whole plugin-host program (see cmd/plugin-host for the
// documentation of flags, scenarios and output).
func HostMain() {
	pluginPath := flag.String("plugin", "", "path of the plugin binary to launch")
	scenario := flag.String("scenario", "basic", "scenario to run")
	reattach := flag.String("reattach", "", `ReattachConfig JSON {"Protocol":"netrpc","Addr":{"Network":"unix","Name":"/path"},"Pid":123}; used instead of launching -plugin`)
	idle := flag.Duration("idle", 80*time.Second, "idle time of scenario idle")
	startTimeout := flag.Duration("start-timeout", 0, "ClientConfig.StartTimeout (0: go-plugin default, 1m)")
	cookie := flag.String("cookie", Handshake.MagicCookieValue, "magic cookie value the host sends (TILORES_TEST_PLUGIN=<value>)")
	autoMTLS := flag.Bool("automtls", false, "ClientConfig.AutoMTLS = true; the JSON line gets a \"tls\" report")
	tlsDir := flag.String("tls-dir", "", "ClientConfig.TLSConfig from DIR/client.pem, client-key.pem, server.pem (see tls.go); the JSON line gets a \"tls\" report")
	flag.Parse()

	h := &host{pluginPath: *pluginPath, idle: *idle, startTimeout: *startTimeout, cookie: *cookie, autoMTLS: *autoMTLS, tlsDir: *tlsDir}
	h.captureStderr()

	var res result
	run, ok := scenarios[*scenario]
	switch {
	case !ok:
		res = result{"ok": false, "error": fmt.Sprintf("unknown scenario %q", *scenario)}
	case *reattach != "":
		rc, err := ParseReattach(*reattach)
		if err != nil {
			res = result{"ok": false, "step": "reattach-json", "error": err.Error()}
			break
		}
		h.reattach = rc
		res = run(h)
	case *pluginPath == "":
		res = result{"ok": false, "error": "-plugin or -reattach is required"}
	default:
		res = run(h)
	}
	if (*autoMTLS || *tlsDir != "") && *scenario != "die-after-start" {
		res["tls"] = tlsReport.Get()
	}
	if _, set := res["scenario"]; !set && *scenario != "die-after-start" {
		res["scenario"] = *scenario
		res["go_plugin"] = ModuleVersion("github.com/hashicorp/go-plugin")
	}
	emit(res)
	h.finishStderr()
	if res["ok"] == true {
		os.Exit(0)
	}
	os.Exit(1)
}

// emit prints res as one JSON line on stdout.
func emit(res result) {
	b, err := json.Marshal(res)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"ok":false,"error":%q}`, "marshal: "+err.Error()))
	}
	os.Stdout.Write(append(b, '\n'))
}

// captureStderr replaces os.Stderr (and the std log output) by a pipe whose
// contents are copied to the real stderr and kept in memory, so scenarios can
// check what yamux (which logs to os.Stderr as of session creation) and
// go-plugin logged. Our hclog logger writes into the same pipe.
func (h *host) captureStderr() {
	r, w, err := os.Pipe()
	if err != nil {
		return
	}
	real := os.Stderr
	h.stderrW, h.stderrBuf, h.stderrDone = w, &syncBuffer{}, make(chan struct{})
	os.Stderr = w
	log.SetOutput(w)
	go func() {
		defer close(h.stderrDone)
		_, _ = io.Copy(io.MultiWriter(real, h.stderrBuf), r)
	}()
}

// finishStderr flushes the capture (bounded wait) before the process exits.
func (h *host) finishStderr() {
	if h.stderrW == nil {
		return
	}
	h.stderrW.Close()
	select {
	case <-h.stderrDone:
	case <-time.After(time.Second):
	}
}

// stderrContains reports whether the host's stderr so far contains s.
func (h *host) stderrContains(s string) bool {
	if h.stderrBuf == nil {
		return false
	}
	time.Sleep(200 * time.Millisecond) // let the copier catch up
	return strings.Contains(h.stderrBuf.String(), s)
}

// hostLogger is the go-plugin client logger (like go-plugin's default: name
// "plugin", level Trace), writing to out.
func hostLogger(out io.Writer, jsonFormat bool) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "plugin",
		Level:      hclog.Trace,
		Output:     out,
		JSONFormat: jsonFormat,
	})
}

// newClient builds the go-plugin client: Cmd (or Reattach when -reattach was
// given), the kv handshake and plugin map, netrpc only. mod may adjust the
// config before NewClient.
func (h *host) newClient(mod func(*plugin.ClientConfig)) *plugin.Client {
	hs := Handshake
	hs.MagicCookieValue = h.cookie
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  hs,
		Plugins:          map[string]plugin.Plugin{PluginName: &KVPlugin{}},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC},
		Logger:           hostLogger(os.Stderr, false),
		StartTimeout:     h.startTimeout,
	}
	if h.reattach != nil {
		cfg.Reattach = h.reattach
	} else {
		cfg.Cmd = exec.Command(h.pluginPath)
	}
	cfg.AutoMTLS = h.autoMTLS
	if h.tlsDir != "" {
		tc, err := ClientTLSFromDir(h.tlsDir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "plugin-host: -tls-dir: %v\n", err)
			os.Exit(2)
		}
		cfg.TLSConfig = tc
	}
	if mod != nil {
		mod(cfg)
	}
	c := plugin.NewClient(cfg)
	clientConfigs.Store(c, cfg)
	return c
}

// tlsReport records what the TLS connection of this host negotiated.
var tlsReport TLSReport

// clientConfigs maps each client of newClient to its config, so dispense can
// hook the TLSConfig go-plugin uses.
var clientConfigs sync.Map

// hookTLS prepares the recording of the TLS connection of c: AutoMTLS builds
// its TLSConfig in Start(), so Start() runs first.
func hookTLS(c *plugin.Client) error {
	v, ok := clientConfigs.Load(c)
	if !ok {
		return nil
	}
	cfg := v.(*plugin.ClientConfig)
	switch {
	case cfg.AutoMTLS && cfg.Reattach == nil:
		return tlsReport.StartAndHook(c, cfg)
	case cfg.TLSConfig != nil:
		tlsReport.Hook(cfg.TLSConfig)
	}
	return nil
}

// dispense runs Client() and Dispense("kv"); on failure it returns the
// failure result.
func dispense(c *plugin.Client) (*Client, result) {
	if err := hookTLS(c); err != nil {
		return nil, fail("start", err)
	}
	rpcClient, err := safeClient(c)
	if err != nil {
		return nil, fail("client", err)
	}
	raw, err := rpcClient.Dispense(PluginName)
	if err != nil {
		return nil, fail("dispense", err)
	}
	kv, ok := raw.(*Client)
	if !ok {
		return nil, fail("dispense", fmt.Errorf("unexpected client type %T", raw))
	}
	return kv, nil
}

// safeClient calls c.Client(), turning a panic into an error "panic: <value>"
// (go-plugin v1.4.3 dereferences a nil address in Client() when the handshake
// named an unknown network: Start() lost that error).
func safeClient(c *plugin.Client) (cp plugin.ClientProtocol, err error) {
	defer func() {
		if r := recover(); r != nil {
			cp, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Client()
}

// fail is the report of a failed step; error is err.Error() verbatim.
func fail(step string, err error) result {
	return result{"ok": false, "step": step, "error": err.Error()}
}

// kill calls Kill and records kill_ms, exited, process_gone and
// kill_graceful (no "plugin failed to exit gracefully" warning) into res.
func (h *host) kill(c *plugin.Client, pid int, res result) {
	t0 := time.Now()
	c.Kill()
	res["kill_ms"] = time.Since(t0).Milliseconds()
	res["exited"] = c.Exited()
	if pid > 0 {
		res["process_gone"] = processGone(pid)
	}
	res["kill_graceful"] = !h.stderrContains("plugin failed to exit gracefully")
}

// basic: Put/Get, error text of a missing key, Ping, ReattachConfig, Kill.
func (h *host) basic() result {
	c := h.newClient(nil)
	defer c.Kill()
	kv, r := dispense(c)
	if r != nil {
		return r
	}
	if err := kv.Put("a", "1"); err != nil {
		return fail("put", err)
	}
	if v, err := kv.Get("a"); err != nil {
		return fail("get", err)
	} else if v != "1" {
		return fail("get", fmt.Errorf("Get(a) = %q, want \"1\"", v))
	}
	res := result{}
	_, err := kv.Get("missing")
	if err == nil {
		return fail("get-missing", errors.New("Get(missing) succeeded"))
	}
	res["get_missing_error"] = err.Error()
	_, res["get_missing_is_server_error"] = err.(rpc.ServerError)
	rpcClient, _ := c.Client()
	if err := rpcClient.Ping(); err != nil {
		return fail("ping", err)
	}
	rc := ReattachToJSON(c.ReattachConfig())
	res["reattach"] = rc
	res["negotiated_version"] = c.NegotiatedVersion()
	res["protocol"] = string(c.Protocol())
	pid := 0
	if rc != nil {
		pid = rc.Pid
	}
	h.kill(c, pid, res)
	res["ok"] = res["get_missing_error"] == "no such key: missing" &&
		res["exited"] == true && res["process_gone"] != false && rc != nil
	return res
}

// callback: offer service Host (and Plugin) with Hello on a host broker id,
// then Plugin.Callback(id).
func (h *host) callback() result {
	c := h.newClient(nil)
	defer c.Kill()
	kv, r := dispense(c)
	if r != nil {
		return r
	}
	id := kv.Broker.NextId()
	acceptErr := make(chan error, 1)
	go func() {
		// go-plugin's MuxBroker.AcceptAndServe would register the service
		// only as "Plugin"; serve it as "Host" (the name the contract uses)
		// and as "Plugin".
		conn, err := kv.Broker.Accept(id)
		acceptErr <- err
		if err != nil {
			return
		}
		srv := rpc.NewServer()
		_ = srv.RegisterName("Host", HostService{})
		_ = srv.RegisterName("Plugin", HostService{})
		srv.ServeConn(conn)
	}()
	reply, err := kv.Callback(id)
	if err != nil {
		res := fail("callback", err)
		select {
		case aerr := <-acceptErr:
			if aerr != nil {
				res["accept_error"] = aerr.Error()
			}
		default:
		}
		return res
	}
	want := HelloReply(HelloArgument)
	res := result{"broker_id": id, "reply": reply, "ok": reply == want}
	if reply != want {
		res["error"] = fmt.Sprintf("reply %q, want %q", reply, want)
	}
	return res
}

// stdio: SyncStdout/SyncStderr buffers; Print("hello-stdio\n").
func (h *host) stdio() result {
	var out, errb syncBuffer
	c := h.newClient(func(cfg *plugin.ClientConfig) {
		cfg.SyncStdout = &out
		cfg.SyncStderr = &errb
	})
	defer c.Kill()
	kv, r := dispense(c)
	if r != nil {
		return r
	}
	const text = "hello-stdio\n"
	if err := kv.Print(text); err != nil {
		return fail("print", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) &&
		!(strings.Contains(out.String(), text) && strings.Contains(errb.String(), "err:"+text)) {
		time.Sleep(10 * time.Millisecond)
	}
	so, se := out.String(), errb.String()
	return result{
		"ok":           strings.Contains(so, text) && strings.Contains(se, "err:"+text),
		"stdout":       so,
		"stderr":       se,
		"stdout_bytes": len(so),
		"stderr_bytes": len(se),
	}
}

// chatty (plugin started with KVPLUGIN_MODE=chatty, inherited from the host's
// environment): wait up to 10 s until ChattyBytes arrived on each of
// SyncStdout/SyncStderr, check the content, then prove the plugin still
// answers (Put/Get).
func (h *host) chatty() result {
	var out, errb syncBuffer
	c := h.newClient(func(cfg *plugin.ClientConfig) {
		cfg.SyncStdout = &out
		cfg.SyncStderr = &errb
	})
	defer c.Kill()
	kv, r := dispense(c)
	if r != nil {
		return r
	}
	t0 := time.Now()
	for time.Since(t0) < 10*time.Second && (out.Len() < ChattyBytes || errb.Len() < ChattyBytes) {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(t0).Milliseconds()
	if err := kv.Put("after-chatty", "yes"); err != nil {
		return fail("put", err)
	}
	if _, err := kv.Get("after-chatty"); err != nil {
		return fail("get", err)
	}
	so, se := out.String(), errb.String()
	return result{
		"ok":           so == chattyText("stdout") && se == chattyText("stderr"),
		"stdout_bytes": len(so),
		"stderr_bytes": len(se),
		"wait_ms":      elapsed,
	}
}

// logLevels are the levels the logs scenario logs at, in order.
var logLevels = []string{"trace", "debug", "info", "warn", "error"}

// logs: host logger = JSON into a buffer at Trace; Plugin.Log at each level
// with fields; report the host's re-logged lines.
func (h *host) logs() result {
	var buf syncBuffer
	c := h.newClient(func(cfg *plugin.ClientConfig) {
		cfg.Logger = hostLogger(io.MultiWriter(&buf, os.Stderr), true)
	})
	defer c.Kill()
	kv, r := dispense(c)
	if r != nil {
		return r
	}
	for _, lvl := range logLevels {
		fields := map[string]string{"field": "value-" + lvl, "other": "two words"}
		if err := kv.Log(lvl, "kvlog "+lvl, fields); err != nil {
			return fail("log-"+lvl, err)
		}
	}
	// The host re-logs plugin stderr asynchronously.
	var lines []string
	deadline := time.Now().Add(2 * time.Second)
	for {
		lines = lines[:0]
		for _, l := range strings.Split(buf.String(), "\n") {
			if strings.Contains(l, "kvlog ") {
				lines = append(lines, l)
			}
		}
		if len(lines) >= len(logLevels) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	type check struct {
		Level string `json:"level"`
		OK    bool   `json:"ok"`
	}
	var checks []check
	allOK := true
	for _, lvl := range logLevels {
		ck := check{Level: lvl}
		for _, l := range lines {
			var m map[string]interface{}
			if json.Unmarshal([]byte(l), &m) != nil || m["@message"] != "kvlog "+lvl {
				continue
			}
			ck.OK = m["@level"] == lvl && m["field"] == "value-"+lvl && m["other"] == "two words"
		}
		allOK = allOK && ck.OK
		checks = append(checks, ck)
	}
	return result{"ok": allOK, "lines": lines, "checks": checks}
}

// concurrent: 64 goroutines x 20 Put+Get with distinct keys.
func (h *host) concurrent() result {
	c := h.newClient(nil)
	defer c.Kill()
	kv, r := dispense(c)
	if r != nil {
		return r
	}
	const goroutines, iterations = 64, 20
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures int
		firstErr string
	)
	t0 := time.Now()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < iterations; i++ {
				key := fmt.Sprintf("c-%d-%d", g, i)
				val := fmt.Sprintf("v-%d-%d", g, i)
				err := kv.Put(key, val)
				if err == nil {
					var got string
					got, err = kv.Get(key)
					if err == nil && got != val {
						err = fmt.Errorf("Get(%s) = %q, want %q", key, got, val)
					}
				}
				if err != nil {
					mu.Lock()
					if failures == 0 {
						firstErr = err.Error()
					}
					failures++
					mu.Unlock()
				}
			}
		}(g)
	}
	wg.Wait()
	res := result{
		"ok":         failures == 0,
		"calls":      goroutines * iterations * 2,
		"failures":   failures,
		"elapsed_ms": time.Since(t0).Milliseconds(),
	}
	if failures > 0 {
		res["error"] = firstErr
	}
	return res
}

// idleScenario: dispense, Put, idle for -idle, then Get and Ping; report
// whether the host logged "aborted stream open".
func (h *host) idleScenario() result {
	c := h.newClient(nil)
	defer c.Kill()
	kv, r := dispense(c)
	if r != nil {
		return r
	}
	if err := kv.Put("idle", "before"); err != nil {
		return fail("put", err)
	}
	time.Sleep(h.idle)
	v, err := kv.Get("idle")
	if err != nil {
		return fail("get", err)
	}
	rpcClient, _ := c.Client()
	if err := rpcClient.Ping(); err != nil {
		return fail("ping", err)
	}
	aborted := h.stderrContains("aborted stream open")
	res := result{
		"idle_ms":             h.idle.Milliseconds(),
		"get":                 v,
		"aborted_stream_open": aborted,
		"ok":                  v == "before" && !aborted,
	}
	return res
}

// killOnly: start, dispense, Kill.
func (h *host) killOnly() result {
	c := h.newClient(nil)
	defer c.Kill()
	if _, r := dispense(c); r != nil {
		return r
	}
	res := result{}
	pid := 0
	if rc := c.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	res["pid"] = pid
	h.kill(c, pid, res)
	res["ok"] = res["exited"] == true && res["process_gone"] != false
	return res
}

// reattachPrint: start, dispense, Put("k","v"), report the ReattachConfig and
// exit without Kill (the plugin keeps running).
func (h *host) reattachPrint() result {
	c := h.newClient(nil)
	kv, r := dispense(c)
	if r != nil {
		c.Kill()
		return r
	}
	if err := kv.Put("k", "v"); err != nil {
		c.Kill()
		return fail("put", err)
	}
	rc := ReattachToJSON(c.ReattachConfig())
	if rc == nil {
		c.Kill()
		return fail("reattach-config", errors.New("ReattachConfig() returned nil"))
	}
	return result{"ok": true, "reattach": rc, "pid": rc.Pid}
}

// reattachUse (with -reattach): Get("k") == "v", then Kill.
func (h *host) reattachUse() result {
	if h.reattach == nil {
		return fail("reattach-json", errors.New("scenario reattach-use needs -reattach"))
	}
	c := h.newClient(nil)
	defer c.Kill()
	kv, r := dispense(c)
	if r != nil {
		return r
	}
	v, err := kv.Get("k")
	if err != nil {
		return fail("get", err)
	}
	res := result{"get": v, "pid": h.reattach.Pid}
	h.kill(c, h.reattach.Pid, res)
	res["ok"] = v == "v" && res["exited"] == true && res["process_gone"] != false
	return res
}

// startOnly: only Start(); report its error text exactly.
func (h *host) startOnly() result {
	c := h.newClient(nil)
	defer c.Kill()
	addr, err := c.Start()
	if err != nil {
		return fail("start", err)
	}
	res := result{"ok": true, "addr": nil}
	if addr != nil {
		res["addr"] = AddrJSON{Network: addr.Network(), Name: addr.String()}
	} else {
		// Start "succeeded" without an address (v1.4.3 loses the error of an
		// unknown network): report what the following Client() does.
		res["ok"] = false
		if _, err := safeClient(c); err != nil {
			res["client_error"] = err.Error()
		}
	}
	return res
}

// dieAfterStart: start, dispense, print {"ok":true,"pid":N}, exit(0) at once.
func (h *host) dieAfterStart() result {
	c := h.newClient(nil)
	if _, r := dispense(c); r != nil {
		c.Kill()
		return r
	}
	pid := 0
	if rc := c.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	emit(result{"ok": true, "pid": pid})
	os.Exit(0)
	return nil
}

// ---------------------------------------------------------------------------
// ReattachConfig <-> JSON
// ---------------------------------------------------------------------------

// AddrJSON is a net.Addr as JSON.
type AddrJSON struct {
	Network string
	Name    string
}

// ReattachJSON is the JSON form of plugin.ReattachConfig used by -reattach
// and printed by the scenarios (plugin.ReattachConfig itself does not
// round-trip through encoding/json: Addr is an interface).
type ReattachJSON struct {
	Protocol        string
	ProtocolVersion int
	Addr            AddrJSON
	Pid             int
	Test            bool
}

// ReattachToJSON converts rc (nil stays nil).
func ReattachToJSON(rc *plugin.ReattachConfig) *ReattachJSON {
	if rc == nil {
		return nil
	}
	out := &ReattachJSON{
		Protocol:        string(rc.Protocol),
		ProtocolVersion: rc.ProtocolVersion,
		Pid:             rc.Pid,
		Test:            rc.Test,
	}
	if rc.Addr != nil {
		out.Addr = AddrJSON{Network: rc.Addr.Network(), Name: rc.Addr.String()}
	}
	return out
}

// ParseReattach parses the JSON of ReattachJSON into a plugin.ReattachConfig
// (network "unix" or "tcp"; Protocol defaults to netrpc).
func ParseReattach(s string) (*plugin.ReattachConfig, error) {
	var j ReattachJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, err
	}
	rc := &plugin.ReattachConfig{
		Protocol:        plugin.Protocol(j.Protocol),
		ProtocolVersion: j.ProtocolVersion,
		Pid:             j.Pid,
		Test:            j.Test,
	}
	if rc.Protocol == "" {
		rc.Protocol = plugin.ProtocolNetRPC
	}
	switch j.Addr.Network {
	case "unix":
		rc.Addr = &net.UnixAddr{Net: "unix", Name: j.Addr.Name}
	case "tcp":
		a, err := net.ResolveTCPAddr("tcp", j.Addr.Name)
		if err != nil {
			return nil, err
		}
		rc.Addr = a
	default:
		return nil, fmt.Errorf("unsupported Addr.Network %q", j.Addr.Network)
	}
	return rc, nil
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

// processGone reports whether pid no longer exists (or is a zombie, which the
// host cannot reap when the plugin is not its child).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] == 'Z'
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
