module tilores-plugin-rs/go-interop

go 1.22

require (
	github.com/hashicorp/go-hclog v1.0.0
	github.com/hashicorp/go-plugin v1.4.3
	github.com/hashicorp/yamux v0.0.0-20211028200310-0bc27b27de87
	github.com/tilotech/tilores-plugin-api v0.6.0
	github.com/tilotech/tilores-plugin-fake-dispatcher v0.5.2
	tilores-plugin-rs/go-interop/scripthost v0.0.0
)

require (
	github.com/fatih/color v1.13.0 // indirect
	github.com/golang/protobuf v1.5.2 // indirect
	github.com/google/uuid v1.3.0 // indirect
	github.com/mattn/go-colorable v0.1.12 // indirect
	github.com/mattn/go-isatty v0.0.14 // indirect
	github.com/mitchellh/go-testing-interface v1.14.1 // indirect
	github.com/oklog/run v1.1.0 // indirect
	golang.org/x/net v0.0.0-20220105145211-5b0dc2dfae98 // indirect
	golang.org/x/sys v0.0.0-20211216021012-1d35b9e2eb4e // indirect
	golang.org/x/text v0.3.7 // indirect
	google.golang.org/genproto v0.0.0-20220107163113-42d7afdf6368 // indirect
	google.golang.org/grpc v1.43.0 // indirect
	google.golang.org/protobuf v1.27.1 // indirect
)

// The script runner shared with the hosts of the other api versions (local, never fetched).
replace tilores-plugin-rs/go-interop/scripthost => ./scripthost
