module tilores-plugin-rs/go-interop/api/v0.7.1

go 1.24

require (
	github.com/tilotech/go-plugin v0.1.2
	github.com/tilotech/tilores-plugin-api v0.7.1
)
