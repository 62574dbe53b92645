// Command plugin-host (latest) is cmd/plugin-host of the parent module built
// against the newest go-plugin v1.x (v1.8.0, pinned in latest/go.mod). The
// logic is the parent module's internal/kvtest (same source, compiled against
// this module's go-plugin); see ../../../cmd/plugin-host/main.go for flags,
// scenarios and output. Its JSON lines report "go_plugin":"v1.8.0".
package main

import "tilores-plugin-rs/go-interop/internal/kvtest"

func main() { kvtest.HostMain() }
