//! A plugin of TiloRes' HTTP plugin protocol for the interop tests: it appends every request
//! it gets, as `<request target> <body>` lines, to the file named by `HTTP_RECORD_FILE`, so that the
//! tests can compare what a Go host (api v0.7.x) and the Rust host put on the wire for the
//! same calls. Answers: `/entity` the entity whose id says whether the request carried a
//! deadline (`deadline` or `none`), `/removeconnectionban` a successful `200 null`, the others
//! their zero output. Written directly on hyper (not the crate's server) so that the bodies
//! are recorded as they arrived.

use std::convert::Infallible;
use std::io::Write;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let socket = std::env::var_os("PLUGIN_SOCKET").expect("PLUGIN_SOCKET");
    let record = std::env::var_os("HTTP_RECORD_FILE").expect("HTTP_RECORD_FILE");
    let listener = tokio::net::UnixListener::bind(&socket).expect("listen");
    println!("plugin is ready");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    loop {
        let stream = tokio::select! {
            _ = term.recv() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let record = record.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let record = record.clone();
                async move {
                    let path = req.uri().path().to_string();
                    // The request target as sent (origin form `/entity` from Go's client).
                    let target = req.uri().to_string();
                    let body = match req.into_body().collect().await {
                        Ok(b) => b.to_bytes(),
                        Err(_) => Bytes::new(),
                    };
                    let mut line = format!("{target} ").into_bytes();
                    line.extend_from_slice(&body);
                    line.push(b'\n');
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&record)
                        .and_then(|mut f| f.write_all(&line))
                        .expect("record the request");
                    let has_deadline = !body.starts_with(br#"{"Context":{"Deadline":null}"#);
                    let answer: &[u8] = match path.as_str() {
                        "/entity" if has_deadline => b"{\"entity\":{\"id\":\"deadline\"}}\n",
                        "/entity" => b"{\"entity\":{\"id\":\"none\"}}\n",
                        "/removeconnectionban" => b"null\n",
                        _ => b"{}\n",
                    };
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(answer))))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    let _ = std::fs::remove_file(&socket);
}
