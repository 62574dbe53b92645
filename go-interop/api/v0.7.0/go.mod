module tilores-plugin-rs/go-interop/api/v0.7.0

go 1.22

require (
	github.com/tilotech/go-plugin v0.1.0
	github.com/tilotech/tilores-plugin-api v0.7.0
	github.com/tilotech/tilores-plugin-fake-dispatcher v0.6.0
	tilores-plugin-rs/go-interop/scripthost v0.0.0
)

require github.com/google/uuid v1.3.0 // indirect

// The script runner and main() shared by every api version's host (local, never fetched).
replace tilores-plugin-rs/go-interop/scripthost => ../../scripthost
