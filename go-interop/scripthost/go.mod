module tilores-plugin-rs/go-interop/scripthost

go 1.22
