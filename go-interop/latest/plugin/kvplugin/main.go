// Command kvplugin (latest) is plugin/kvplugin of the parent module built
// against the newest go-plugin v1.x (v1.8.0, pinned in latest/go.mod). The
// logic is the parent module's internal/kvtest (same source, compiled against
// this module's go-plugin); see ../../../plugin/kvplugin/main.go for the
// behaviour and KVPLUGIN_MODE.
package main

import "tilores-plugin-rs/go-interop/internal/kvtest"

func main() { kvtest.PluginMain() }
