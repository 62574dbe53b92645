// Command plugin-host is a go-plugin net/rpc host (go-plugin version of the
// enclosing module: v1.4.3 here, v1.8.0 in go-interop/latest) for the "kv"
// test plugin contract (see plugin/kvplugin). All logic lives in
// internal/kvtest.
//
// Flags:
//
//	-plugin PATH         plugin binary (ClientConfig.Cmd = exec.Command(PATH))
//	-scenario NAME       basic (default), callback, stdio, chatty, logs, concurrent,
//	                     idle, kill-only, reattach-print, reattach-use, start-only,
//	                     die-after-start
//	-reattach JSON       {"Protocol":"netrpc","Addr":{"Network":"unix","Name":"/path"},"Pid":123}
//	                     (optional "ProtocolVersion", "Test"; Network "unix" or "tcp");
//	                     sets ClientConfig.Reattach instead of launching -plugin
//	-idle DURATION       idle time of scenario idle (default 80s)
//	-start-timeout DUR   ClientConfig.StartTimeout (default 0 = go-plugin's 1m)
//	-cookie VALUE        magic cookie value sent to the plugin (default "interop";
//	                     a wrong value makes a Go plugin exit 1 before the handshake)
//
// Client config: handshake ProtocolVersion 1, TILORES_TEST_PLUGIN=<cookie>,
// Plugins {"kv"}, AllowedProtocols [netrpc], Logger hclog (name "plugin",
// level Trace, text) on stderr, SyncStdout/SyncStderr discarded unless the
// scenario says otherwise.
//
// Output: exactly one JSON line on stdout (json.Marshal of a map: keys
// sorted), exit status 0 iff "ok" is true. Every line has "ok"; a failed step
// adds "step" (client, dispense, put, get, get-missing, ping, callback, print,
// log-<level>, start, reattach-json, ...) and "error" (= err.Error() of the
// Go error, verbatim). All lines except die-after-start's also have
// "scenario" and "go_plugin" (the linked go-plugin version). Scenario keys:
//
//	basic           Put(a,1), Get(a)=="1", Get(missing) fails, Ping, Kill.
//	                get_missing_error ("no such key: missing" required),
//	                get_missing_is_server_error, reattach {Protocol,ProtocolVersion,
//	                Addr{Network,Name},Pid,Test}, negotiated_version, protocol,
//	                kill_ms, exited, process_gone, kill_graceful
//	callback        broker_id, reply (must be "hello kvplugin from host"); the host
//	                serves Hello under service names "Host" and "Plugin" on
//	                broker.Accept(broker.NextId())
//	stdio           Print("hello-stdio\n"); stdout, stderr, stdout_bytes,
//	                stderr_bytes = what reached SyncStdout/SyncStderr within 2 s;
//	                ok iff they contain "hello-stdio\n" / "err:hello-stdio\n"
//	chatty          (run with KVPLUGIN_MODE=chatty in the environment) waits up to
//	                10 s for 1 MiB on each sink, then Put/Get; stdout_bytes,
//	                stderr_bytes, wait_ms; ok iff both sinks hold exactly the
//	                chatty text
//	logs            Logger = JSON hclog (Trace) into a buffer; Log(level,
//	                "kvlog <level>", {field: "value-<level>", other: "two words"})
//	                for trace, debug, info, warn, error; lines = the host's JSON
//	                log lines containing "kvlog ", checks [{level, ok}] (ok: a
//	                line with that @message has that @level and both fields)
//	concurrent      64 goroutines x 20 x (Put, Get); calls (2560), failures,
//	                elapsed_ms
//	idle            Put, sleep -idle, Get, Ping; idle_ms, get, aborted_stream_open
//	                (the host's stderr contained "aborted stream open")
//	kill-only       pid, kill_ms, exited, process_gone, kill_graceful
//	reattach-print  Put(k,v); reattach, pid; exits without Kill (plugin keeps running)
//	reattach-use    (with -reattach) Get(k)=="v", Kill; get, pid, kill_ms, exited,
//	                process_gone, kill_graceful
//	start-only      Start() only. Error: step "start", error. Success: addr
//	                {Network,Name}; if Start returned neither error nor address
//	                (v1.4.3, unknown network) ok is false, addr null and
//	                client_error is what a following Client() returned
//	greeter         go-plugin's examples/basic host instead of kv (handshake
//	                BASIC_PLUGIN=hello, plugin "greeter"): greeting (ok iff "Hello!")
//	die-after-start prints exactly {"ok":true,"pid":N}, then os.Exit(0) without Kill
//
// kill_graceful is false when go-plugin logged "plugin failed to exit
// gracefully" (e.g. the Control.Quit reply was lost); process_gone is true
// when the pid no longer exists or is a zombie. The host's own stderr is
// copied through a pipe so scenarios can inspect what yamux and go-plugin
// logged there; it still reaches the real stderr.
package main

import "tilores-plugin-rs/go-interop/internal/kvtest"

func main() { kvtest.HostMain() }
