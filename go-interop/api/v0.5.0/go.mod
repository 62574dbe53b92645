module tilores-plugin-rs/go-interop/api/v0.5.0

go 1.22

require (
	github.com/google/uuid v1.3.0
	github.com/hashicorp/go-plugin v1.4.3
	github.com/tilotech/tilores-plugin-api v0.5.0
	tilores-plugin-rs/go-interop/scripthost v0.0.0
)

require (
	github.com/fatih/color v1.13.0 // indirect
	github.com/golang/protobuf v1.5.2 // indirect
	github.com/hashicorp/go-hclog v1.0.0 // indirect
	github.com/hashicorp/yamux v0.0.0-20211028200310-0bc27b27de87 // indirect
	github.com/mattn/go-colorable v0.1.12 // indirect
	github.com/mattn/go-isatty v0.0.14 // indirect
	github.com/mitchellh/go-testing-interface v1.14.1 // indirect
	github.com/oklog/run v1.1.0 // indirect
	golang.org/x/net v0.0.0-20211216030914-fe4d6282115f // indirect
	golang.org/x/sys v0.0.0-20211216021012-1d35b9e2eb4e // indirect
	golang.org/x/text v0.3.7 // indirect
	google.golang.org/genproto v0.0.0-20211223182754-3ac035c7e7cb // indirect
	google.golang.org/grpc v1.43.0 // indirect
	google.golang.org/protobuf v1.27.1 // indirect
)

// The script runner and main() shared by every api version's host (local, never fetched).
replace tilores-plugin-rs/go-interop/scripthost => ../../scripthost
