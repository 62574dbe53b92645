module tilores-plugin-rs/go-interop/api/v0.7.0

go 1.22

require (
	github.com/tilotech/go-plugin v0.1.0
	github.com/tilotech/tilores-plugin-api v0.7.0
	github.com/tilotech/tilores-plugin-fake-dispatcher v0.6.0
)

require github.com/google/uuid v1.3.0 // indirect
