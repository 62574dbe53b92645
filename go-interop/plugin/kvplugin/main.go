// Command kvplugin is a go-plugin net/rpc test plugin (built against the
// go-plugin version of the enclosing module: v1.4.3 here, v1.8.0 in
// go-interop/latest). All logic lives in internal/kvtest.
//
// Handshake: ProtocolVersion 1, cookie TILORES_TEST_PLUGIN=interop, protocol
// netrpc. Plugin set {"kv"}; the dispensed brokered stream serves the net/rpc
// service "Plugin":
//
//	Put(KV{Key, Value string}, *bool)   store in a process-wide map
//	Get(key string, *string)            error "no such key: <key>" if missing
//	Print(text string, *bool)           text -> os.Stdout, "err:"+text -> os.Stderr
//	                                    (go-plugin's pipes: yamux streams 3 / 5)
//	Log(LogArgs{Level, Message string; Fields map[string]string}, *bool)
//	                                    hclog JSON logger (level Trace, no name) on
//	                                    the real stderr (fd 2), fields sorted by key;
//	                                    unknown level -> error `unknown log level: "x"`
//	Callback(id uint32, *string)        broker.Dial(id), net/rpc client on it,
//	                                    Host.Hello("kvplugin") (fallback Plugin.Hello
//	                                    if the host has no service "Host"); returns the reply
//	Sleep(ms int, *int)                 sleeps, replies ms
//	Crash(code int, *bool)              os.Exit(code), no reply
//
// No flags. Environment KVPLUGIN_MODE (checked before anything else):
//
//	garbage      print "this is not a handshake\n" on stdout, sleep 60 s, exit 0
//	exit-early   write "exiting early\n" to stderr, exit 3 (nothing on stdout)
//	never        sleep 600 s without printing
//	bad-network  print "1|1|carrier-pigeon|/nowhere|netrpc|\n", sleep 60 s
//	bad-version  print "1|9|unix|/tmp/x|netrpc|\n", sleep 60 s
//	chatty       serve normally; once Serve has redirected os.Stdout/os.Stderr,
//	             write 1 MiB (16384 lines of 64 bytes, "chatty stdout line 00000"
//	             padded with spaces, "\n") to stdout and the same with "stderr"
//	             to stderr, concurrently
//	other        "kvplugin: unknown KVPLUGIN_MODE ..." on stderr, exit 2
package main

import "tilores-plugin-rs/go-interop/internal/kvtest"

func main() { kvtest.PluginMain() }
