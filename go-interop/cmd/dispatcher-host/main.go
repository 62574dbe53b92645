// Command dispatcher-host is a TiloRes dispatcher host built exactly like the
// real one: tilores-plugin-api v0.6.0 dispatcher.Initialize(exec.Command(PATH), rc)
// on go-plugin v1.4.3 (SyncStdout/SyncStderr = this process's stdout/stderr,
// default go-plugin logger on stderr).
//
// Modes:
//
//	-plugin PATH [-script]          script mode (default)
//	-plugin PATH -scenario api-test port of tilores-plugin-api's dispatcher test
//	-plugin PATH -reattach-scenario Initialize, then Initialize again with the
//	                                returned ReattachConfig in the same process
//
// Script mode: reads stdin line by line. Blank lines (only whitespace) are
// skipped. Every other line must be a JSON object
//
//	{"call": NAME, "input": {...}, "deadline_ms": N}
//
// NAME is entity, submit, search, disassemble or removeConnectionBan; "input"
// is decoded with encoding/json into *dispatcher.EntityInput, SubmitInput,
// SearchInput, DisassembleInput or RemoveConnectionBanInput (json tags of
// tilores-plugin-api; a missing or null input is the zero value; unknown keys
// are ignored; JSON numbers inside interface{} values become float64);
// "deadline_ms" (optional) gives the call a context with deadline
// now+deadline_ms, otherwise context.Background(). For each such line exactly
// one JSON line is written to stdout:
//
//	{"output":<encoding/json of the output struct>}   success (removeConnectionBan: {"output":null})
//	{"error":"<err.Error()>"}                         call error, unknown call
//	                                                  ("unknown call: <NAME>"), or the
//	                                                  encoding/json error text of a
//	                                                  malformed line / input
//
// The line is written with a json.Encoder with SetEscapeHTML(false) (so '<',
// '>' and '&' are not \u-escaped; everything else is as json.Marshal). The
// run continues after errors; at EOF the kill function is called and the
// program exits 0. If Initialize fails: "dispatcher-host: initialize: <err>"
// on stderr, exit 1. Note: whatever the plugin writes to its stdout (yamux
// stream 3) is copied to this program's stdout by go-plugin.
//
// api-test: the checks of tilores-plugin-api v0.6.0 dispatcher/plugin_test.go
// (TestPlugin) against the plugin binary, which must implement that test's
// fixture (see plugin/dispatcher-testplugin). Prints one line
//
//	{"ok":BOOL,"checks":[{"name":"...","ok":BOOL,"detail":"..."},...]}
//
// reattach-scenario: prints {"reattach":{"Protocol":..,"ProtocolVersion":..,
// "Addr":{"Network":..,"Name":..},"Pid":..,"Test":..}} after the first
// Initialize, then one line {"ok":BOOL,"checks":[...]} (second Initialize
// reused the same pid, both dispatchers answer Entity).
//
// api-test and reattach-scenario exit 0 iff ok.
//
// -automtls (script mode and api-test): instead of dispatcher.Initialize, the
// same client configuration (tilores-plugin-api v0.6.0 dispatcher/init.go
// start()) with AutoMTLS: true. api-test then adds the check "tls: AutoMTLS
// negotiated (extra)" (TLS 1.3, Go verified the chain, and the peer's
// certificate is exactly the handshake's); script mode writes one line
// "dispatcher-host: tls {json}" (kvtest.TLSReport) to stderr at the end.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"time"

	"github.com/hashicorp/go-plugin"
	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
	"tilores-plugin-rs/go-interop/internal/dispatchertest"
	"tilores-plugin-rs/go-interop/internal/kvtest"
	"tilores-plugin-rs/go-interop/scripthost"
)

func main() {
	pluginPath := flag.String("plugin", "", "path of the dispatcher plugin binary")
	_ = flag.Bool("script", true, "script mode (the default): JSON lines on stdin")
	scenario := flag.String("scenario", "", "run a scenario instead of the script: api-test")
	reattachScenario := flag.Bool("reattach-scenario", false, "run the reattach scenario instead of the script")
	flag.BoolVar(&autoMTLS, "automtls", false, "go-plugin AutoMTLS (script mode and api-test)")
	flag.Parse()
	if *pluginPath == "" {
		fmt.Fprintln(os.Stderr, "dispatcher-host: -plugin is required")
		os.Exit(2)
	}
	switch {
	case *reattachScenario:
		os.Exit(report(runReattach(*pluginPath)))
	case *scenario == "api-test":
		os.Exit(report(runAPITest(*pluginPath)))
	case *scenario != "":
		fmt.Fprintf(os.Stderr, "dispatcher-host: unknown scenario %q\n", *scenario)
		os.Exit(2)
	default:
		os.Exit(runScript(*pluginPath, os.Stdin, os.Stdout))
	}
}

// ---------------------------------------------------------------------------
// script mode
// ---------------------------------------------------------------------------

func runScript(pluginPath string, in io.Reader, out io.Writer) int {
	dsp, kill, err := initialize(pluginPath)
	defer kill()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-host: initialize: %v\n", err)
		return 1
	}
	if err := dispatchertest.RunScript(dsp, parseRequest, in, out); err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-host: %v\n", err)
		return 1
	}
	if autoMTLS {
		b, _ := json.Marshal(tlsReport.Get())
		fmt.Fprintf(os.Stderr, "dispatcher-host: tls %s\n", b)
	}
	return 0
}

// autoMTLS is the -automtls flag.
var autoMTLS bool

// tlsReport records the AutoMTLS connection (see kvtest.TLSReport).
var tlsReport kvtest.TLSReport

// initialize is dispatcher.Initialize(exec.Command(pluginPath), nil), or with
// -automtls the same client configuration (tilores-plugin-api v0.6.0
// dispatcher/init.go) plus AutoMTLS, with the TLS report hooked in.
func initialize(pluginPath string) (dispatcher.Dispatcher, dispatcher.KillFunc, error) {
	if !autoMTLS {
		dsp, kill, _, err := dispatcher.Initialize(exec.Command(pluginPath), nil)
		return dsp, kill, err
	}
	cfg := &plugin.ClientConfig{
		HandshakeConfig: dispatcher.Handshake,
		Plugins:         map[string]plugin.Plugin{"dispatcher": &dispatcher.Plugin{}},
		Cmd:             exec.Command(pluginPath),
		SyncStdout:      os.Stdout,
		SyncStderr:      os.Stderr,
		AutoMTLS:        true,
	}
	client := plugin.NewClient(cfg)
	if err := tlsReport.StartAndHook(client, cfg); err != nil {
		return nil, client.Kill, err
	}
	rpcClient, err := client.Client()
	if err != nil {
		return nil, client.Kill, err
	}
	raw, err := rpcClient.Dispense("dispatcher")
	if err != nil {
		return nil, client.Kill, err
	}
	impl, ok := raw.(dispatcher.Dispatcher)
	if !ok {
		return nil, client.Kill, fmt.Errorf("received invalid client: %T", raw)
	}
	return impl, client.Kill, nil
}

// ---------------------------------------------------------------------------
// scenarios
// ---------------------------------------------------------------------------

// check is one named assertion of a scenario.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// checks collects assertions.
type checks struct {
	List []check
}

func (c *checks) add(name string, ok bool, format string, args ...interface{}) bool {
	c.List = append(c.List, check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	return ok
}

// noErr records a check that err is nil (detail: the error text).
func (c *checks) noErr(name string, err error) bool {
	if err != nil {
		return c.add(name, false, "%s", err.Error())
	}
	return c.add(name, true, "")
}

// report prints {"ok":..,"checks":[..]} and returns the exit status.
func report(c *checks) int {
	ok := len(c.List) > 0
	for _, ck := range c.List {
		ok = ok && ck.OK
	}
	out := struct {
		OK     bool    `json:"ok"`
		Checks []check `json:"checks"`
	}{ok, c.List}
	b, _ := json.Marshal(out)
	os.Stdout.Write(append(b, '\n'))
	if ok {
		return 0
	}
	return 1
}

// runAPITest ports TestPlugin of tilores-plugin-api v0.6.0
// (dispatcher/plugin_test.go) to a plugin in another process; the
// deadlineExists assertion is observed through the record data the fixture
// returns (see plugin/dispatcher-testplugin). Extra checks are marked
// "(extra)".
func runAPITest(pluginPath string) *checks {
	c := &checks{}
	dsp, kill, err := initialize(pluginPath)
	defer kill()
	if !c.noErr("initialize", err) {
		return c
	}
	if autoMTLS {
		r := tlsReport.Get()
		c.add("tls: AutoMTLS negotiated (extra)",
			r != nil && r["version"] == "TLS 1.3" && r["verified"] == true && r["peer_is_root"] == true,
			"%v", r)
	}

	// Entity with a deadline 3 s ahead.
	deadline := time.Now().Add(3 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	entityOutput, err := dsp.Entity(ctx, &dispatcher.EntityInput{ID: "abcd"})
	cancel()
	if c.noErr("entity: no error", err) &&
		c.add("entity: output not nil", entityOutput != nil && entityOutput.Entity != nil, "%s", nilText(entityOutput != nil && entityOutput.Entity != nil)) {
		e := entityOutput.Entity
		c.add("entity: 1 record", len(e.Records) == 1, "len(Records) = %d", len(e.Records))
		if len(e.Records) == 1 && e.Records[0] != nil {
			d := e.Records[0].Data
			c.add("entity: record data foo == bar", d["foo"] == "bar", "Data[foo] = %#v", d["foo"])
			c.add("entity: plugin saw the deadline", d["deadlineExists"] == true, "Data[deadlineExists] = %#v", d["deadlineExists"])
			want := deadline.UTC().Format(time.RFC3339Nano)
			c.add("entity: deadline value round-trips (extra)", d["deadline"] == want,
				"Data[deadline] = %#v, want %q", d["deadline"], want)
			c.add("entity: record id 12345 (extra)", e.Records[0].ID == "12345", "ID = %q", e.Records[0].ID)
		}
		c.add("entity: 1 edge", len(e.Edges) == 1, "Edges = %#v", e.Edges)
		c.add("entity: 1 duplicate", len(e.Duplicates) == 1, "Duplicates = %#v", e.Duplicates)
		c.add("entity: id, edges, duplicates, hits equal the fixture (extra)",
			e.ID == "abcd" &&
				reflect.DeepEqual(e.Edges, api.Edges{"12345:12345:STATIC"}) &&
				reflect.DeepEqual(e.Duplicates, api.Duplicates{"12345": {"12345", "duplicateID"}}) &&
				reflect.DeepEqual(e.Hits, api.Hits{"12345": {"someRuleName"}}),
			"ID=%q Edges=%#v Duplicates=%#v Hits=%#v", e.ID, e.Edges, e.Duplicates, e.Hits)
	}

	// Entity without a deadline (extra).
	entityOutput, err = dsp.Entity(context.Background(), &dispatcher.EntityInput{ID: "abcd"})
	if c.noErr("entity without deadline: no error (extra)", err) && entityOutput != nil &&
		entityOutput.Entity != nil && len(entityOutput.Entity.Records) == 1 {
		d := entityOutput.Entity.Records[0].Data
		_, hasDeadline := d["deadline"]
		c.add("entity without deadline: plugin saw none (extra)", d["deadlineExists"] == false && !hasDeadline,
			"Data[deadlineExists] = %#v, Data[deadline] = %#v", d["deadlineExists"], d["deadline"])
	}

	// Search.
	parameters := &api.SearchParameters{"foo": "bar"}
	searchOutput, err := dsp.Search(context.Background(), &dispatcher.SearchInput{Parameters: parameters})
	if c.noErr("search: no error", err) &&
		c.add("search: output not nil", searchOutput != nil, "%s", nilText(searchOutput != nil)) {
		c.add("search: 1 entity", len(searchOutput.Entities) == 1, "len(Entities) = %d", len(searchOutput.Entities))
		if len(searchOutput.Entities) == 1 && searchOutput.Entities[0] != nil {
			e := searchOutput.Entities[0]
			c.add("search: entity equals the fixture (extra)",
				e.ID == "abcd" && len(e.Records) == 1 && e.Records[0] != nil &&
					reflect.DeepEqual(e.Records[0].Data, map[string]interface{}{"foo": "bar"}) &&
					reflect.DeepEqual(e.Hits, api.Hits{"12345": {"someRuleName"}}),
				"%s", jsonString(e))
		}
	}

	// Submit.
	submitOutput, err := dsp.Submit(context.Background(), &dispatcher.SubmitInput{
		Records: []*api.Record{
			{ID: "12345", Data: map[string]interface{}{"foo": "bar"}},
		},
	})
	if c.noErr("submit: no error", err) {
		c.add("submit: 1 record added", submitOutput != nil && submitOutput.RecordsAdded == 1, "%s", jsonString(submitOutput))
	}

	// Disassemble.
	disassembleOutput, err := dsp.Disassemble(context.Background(), &dispatcher.DisassembleInput{
		Reference: "123123",
		Edges: []dispatcher.DisassembleEdge{
			{A: "abc", B: "def"},
		},
		RecordIDs:           []string{"12345"},
		CreateConnectionBan: true,
		Meta: dispatcher.DisassembleMeta{
			User:   "someUser",
			Reason: "someReason",
		},
		Timeout: nil,
	})
	if c.noErr("disassemble: no error", err) {
		c.add("disassemble: entity ids [abcd]", reflect.DeepEqual(disassembleOutput.EntityIDs, []string{"abcd"}),
			"EntityIDs = %#v", disassembleOutput.EntityIDs)
		c.add("disassemble: 1 edge, 1 record deleted (extra)",
			disassembleOutput.DeletedEdges == 1 && disassembleOutput.DeletedRecords == 1, "%s", jsonString(disassembleOutput))
	}

	// RemoveConnectionBan.
	err = dsp.RemoveConnectionBan(context.Background(), &dispatcher.RemoveConnectionBanInput{
		Reference: "123123",
		EntityID:  "someID",
		Others:    []string{"someOtherID"},
		Meta: dispatcher.RemoveConnectionBanMeta{
			User:   "someUser",
			Reason: "someReason",
		},
	})
	if c.add("removeConnectionBan: error", err != nil, "err = %v", err) {
		c.add("removeConnectionBan: error text", err.Error() == "forced remove connection ban error", "%s", err.Error())
	}
	return c
}

// reattachJSON is the printable form of plugin.ReattachConfig.
type reattachJSON struct {
	Protocol        string
	ProtocolVersion int
	Addr            struct{ Network, Name string }
	Pid             int
	Test            bool
}

func toJSON(rc *plugin.ReattachConfig) *reattachJSON {
	if rc == nil {
		return nil
	}
	j := &reattachJSON{Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion, Pid: rc.Pid, Test: rc.Test}
	if rc.Addr != nil {
		j.Addr.Network, j.Addr.Name = rc.Addr.Network(), rc.Addr.String()
	}
	return j
}

// runReattach: Initialize, print the ReattachConfig, Initialize again with it
// in the same process; the second must reuse the process (same pid) and both
// dispatchers must work.
func runReattach(pluginPath string) *checks {
	c := &checks{}
	dsp1, kill1, rc1, err := dispatcher.Initialize(exec.Command(pluginPath), nil)
	defer kill1()
	if !c.noErr("initialize", err) {
		return c
	}
	j := toJSON(rc1)
	b, _ := json.Marshal(map[string]interface{}{"reattach": j})
	os.Stdout.Write(append(b, '\n'))
	if !c.add("reattach config", j != nil && j.Protocol == "netrpc" && j.Addr.Name != "" && j.Pid > 0, "%s", jsonString(j)) {
		return c
	}
	_, err = dsp1.Entity(context.Background(), &dispatcher.EntityInput{ID: "first"})
	c.noErr("first dispatcher: entity", err)

	dsp2, kill2, rc2, err := dispatcher.Initialize(exec.Command(pluginPath), rc1)
	// kill2 (Control.Quit over the reattached connection) stops the plugin;
	// kill1 then finds its connection gone and force-kills the (dead) child.
	defer kill2()
	if !c.noErr("second initialize", err) {
		return c
	}
	pid2 := 0
	if rc2 != nil {
		pid2 = rc2.Pid
	}
	c.add("second initialize reused the process", pid2 == rc1.Pid, "pid %d, first pid %d", pid2, rc1.Pid)
	_, err = dsp2.Entity(context.Background(), &dispatcher.EntityInput{ID: "second"})
	c.noErr("second dispatcher: entity", err)
	_, err = dsp1.Entity(context.Background(), &dispatcher.EntityInput{ID: "first-again"})
	c.noErr("first dispatcher still works", err)
	return c
}

// nilText is the detail of a not-nil check.
func nilText(notNil bool) string {
	if notNil {
		return ""
	}
	return "nil"
}

// jsonString renders v for check details.
func jsonString(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// request is one script line: dispatchertest.Request under this package's type name, which
// encoding/json's error texts show ("... of type main.request").
type request dispatchertest.Request

// parseRequest decodes one script line.
var parseRequest dispatchertest.ParseFunc = scripthost.Parse[request]
