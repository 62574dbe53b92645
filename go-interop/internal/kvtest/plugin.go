package kvtest

import (
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

// ChattyBytes is how many bytes KVPLUGIN_MODE=chatty writes to each of
// stdout and stderr (16384 lines of 64 bytes).
const ChattyBytes = 1 << 20

// PluginMain is the whole kvplugin program (see plugin/kvplugin for the
// documentation of its behaviour and of KVPLUGIN_MODE).
func PluginMain() {
	// The real stderr, captured before plugin.Serve replaces os.Stderr with its
	// pipe; go-plugin's own default logger is built the same way (hclog, JSON,
	// level Trace, no name, real stderr).
	realStderr := os.Stderr
	logger := hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Trace,
		Output:     realStderr,
		JSONFormat: true,
	})

	switch mode := os.Getenv("KVPLUGIN_MODE"); mode {
	case "":
	case "garbage":
		fmt.Println("this is not a handshake")
		time.Sleep(60 * time.Second)
		return
	case "exit-early":
		fmt.Fprintln(os.Stderr, "exiting early")
		os.Exit(3)
	case "never":
		time.Sleep(600 * time.Second)
		return
	case "bad-network":
		fmt.Println("1|1|carrier-pigeon|/nowhere|netrpc|")
		time.Sleep(60 * time.Second)
		return
	case "bad-cert":
		// A sixth field longer than 50 characters that is no base64 DER
		// certificate (an AutoMTLS host must reject it).
		fmt.Println("1|1|unix|/tmp/x|netrpc|" + strings.Repeat("!", 64))
		time.Sleep(60 * time.Second)
		return
	case "plaintext":
		// Ignore the host's AutoMTLS request: serve without TLS and send no
		// certificate.
		os.Unsetenv("PLUGIN_CLIENT_CERT")
	case "bad-version":
		fmt.Println("1|9|unix|/tmp/x|netrpc|")
		time.Sleep(60 * time.Second)
		return
	case "chatty":
		go chatty(os.Stdout, os.Stderr)
	default:
		fmt.Fprintf(os.Stderr, "kvplugin: unknown KVPLUGIN_MODE %q\n", mode)
		os.Exit(2)
	}

	var tlsProvider func() (*tls.Config, error)
	if dir := os.Getenv("KVPLUGIN_TLS_DIR"); dir != "" {
		tlsProvider = func() (*tls.Config, error) { return ServerTLSFromDir(dir) }
	}
	plugin.Serve(&plugin.ServeConfig{
		TLSProvider:     tlsProvider,
		HandshakeConfig: Handshake,
		Plugins: map[string]plugin.Plugin{
			PluginName: &KVPlugin{Logger: logger},
		},
	})
}

// chatty waits until plugin.Serve has replaced os.Stdout/os.Stderr by its
// pipes (it does so right after printing the handshake line), then writes
// ChattyBytes to each of them concurrently. The writes block until the host
// drains yamux streams 3 and 5.
func chatty(origStdout, origStderr *os.File) {
	// Polling a package variable that another goroutine assigns once is a
	// benign race; go-plugin offers no hook after the redirection.
	for os.Stdout == origStdout || os.Stderr == origStderr {
		time.Sleep(5 * time.Millisecond)
	}
	out, errw := os.Stdout, os.Stderr
	done := make(chan struct{})
	go func() { writeChatty(out, "stdout"); done <- struct{}{} }()
	writeChatty(errw, "stderr")
	<-done
}

// writeChatty writes 16384 lines of exactly 64 bytes:
// "chatty <name> line NNNNN" padded with spaces to 63 bytes, then "\n".
func writeChatty(w io.Writer, name string) {
	_, _ = io.WriteString(w, chattyText(name))
}

// chattyText is the ChattyBytes of text written for name (stdout/stderr).
func chattyText(name string) string {
	var b strings.Builder
	for i := 0; i < ChattyBytes/64; i++ {
		fmt.Fprintf(&b, "%-63s\n", fmt.Sprintf("chatty %s line %05d", name, i))
	}
	return b.String()
}
