module tilores-plugin-rs/go-interop/api/v0.7.1

go 1.24

require (
	github.com/tilotech/go-plugin v0.1.2
	github.com/tilotech/tilores-plugin-api v0.7.1
	tilores-plugin-rs/go-interop/scripthost v0.0.0
)

// The script runner and main() shared by every api version's host (local, never fetched).
replace tilores-plugin-rs/go-interop/scripthost => ../../scripthost
