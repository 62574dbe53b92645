//! Tests that start real processes: `sh` scripts posing as plugins and this test binary itself
//! as a SIGINT-ignoring provider. (The Go fake dispatcher tests are in `tests/plugin_interop.rs`:
//! `cargo test --lib` needs no Go.)

use std::io::{self, Write};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use tilores_plugin_test_support::SharedBytes;

use super::hclog::is_hclog_timestamp;
use super::process::sha256_file;
use super::*;

fn handshake_cfg() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "DISPATCHER_PLUGIN".into(),
        magic_cookie_value: "opsPsgZd3qsXpjgj69j5".into(),
    }
}

fn sh(script: &str) -> PluginCommand {
    PluginCommand::new("/bin/sh").arg("-c").arg(script)
}

async fn assert_pid_gone(pid: u32) {
    let start = Instant::now();
    while process::pid_alive(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "pid {pid} still exists (not killed or not reaped)"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

const HS: &str = "echo '1|1|unix|/tmp/x|netrpc|'";

#[tokio::test]
async fn launch_reads_handshake_and_drop_kills_and_reaps() {
    let p = launch(
        sh(&format!("{HS}; exec sleep 30")),
        LaunchConfig::new(handshake_cfg()),
    )
    .await
    .unwrap();
    assert_eq!(
        p.handshake(),
        &Handshake {
            core_version: 1,
            app_version: 1,
            address: PluginAddr::Unix("/tmp/x".into()),
            protocol: Protocol::NetRpc,
            server_cert: None,
        }
    );
    assert_eq!(p.name(), "sh");
    let pid = p.pid();
    assert!(process::pid_alive(pid));
    assert!(!p.exited());
    assert_eq!(
        serde_json::to_string(&p.reattach_config()).unwrap(),
        format!(
            r#"{{"Protocol":"netrpc","ProtocolVersion":0,"Addr":{{"Name":"/tmp/x","Net":"unix"}},"Pid":{pid},"Test":false}}"#
        )
    );
    drop(p);
    // kill_on_drop + reaper: the pid disappears entirely (a zombie would still answer kill 0).
    assert_pid_gone(pid).await;
}

#[tokio::test]
async fn legacy_four_field_line_and_extra_fields() {
    for line in ["1|1|unix|/tmp/legacy", "1|1|unix|/tmp/x|netrpc||true|more"] {
        let mut p = launch(
            sh(&format!("echo '{line}'; exec sleep 30")),
            LaunchConfig::new(handshake_cfg()),
        )
        .await
        .unwrap();
        assert_eq!(p.handshake().protocol, Protocol::NetRpc);
        assert!(p.kill().await.is_some());
        assert!(p.exited());
    }
}

#[tokio::test]
async fn child_environment() {
    // Collects the raw stderr copy (go-plugin `ClientConfig.Stderr`).
    let sink = SharedBytes::default();
    let mut cfg = LaunchConfig::new(handshake_cfg());
    cfg.host_versions = vec![1, 2];
    cfg.stderr = Some(Box::new(sink.clone()));
    let cmd = sh(&format!(
        "echo \"ENV $DISPATCHER_PLUGIN $PLUGIN_MIN_PORT $PLUGIN_MAX_PORT $PLUGIN_PROTOCOL_VERSIONS $ONLY_CALLER\" >&2; \
         [ \"$PATH\" = \"$HOST_PATH\" ] && echo PATH_FROM_HOST >&2; {HS}; exec sleep 30"
    ))
    .env("ONLY_CALLER", "c")
    .env("PATH", "/caller/path/loses")
    .env("HOST_PATH", std::env::var_os("PATH").unwrap_or_default());
    let mut p = launch(cmd, cfg).await.unwrap();
    let text = sink.wait_for("PATH_FROM_HOST").await;
    assert!(
        text.contains("ENV opsPsgZd3qsXpjgj69j5 10000 25000 1,2 c\n"),
        "{text:?}"
    );
    p.kill().await;
}

#[tokio::test]
async fn start_timeout() {
    let mut cfg = LaunchConfig::new(handshake_cfg());
    cfg.start_timeout = Duration::from_millis(300);
    let t = Instant::now();
    let err = launch(sh("echo starting >&2; exec sleep 30"), cfg)
        .await
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(err.to_string(), "timeout while waiting for plugin to start");
    match err {
        LaunchError::Timeout { stderr } => assert_eq!(stderr, ["starting"]),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn exits_before_handshake_reports_status_and_stderr() {
    let err = launch(
        sh("echo oops >&2; echo '[ERROR] second' >&2; exit 3"),
        LaunchConfig::new(handshake_cfg()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin exited before we could connect (exit status: 3); plugin stderr:\noops\n[ERROR] second"
    );
    match err {
        LaunchError::Exited { status, stderr } => {
            assert_eq!(status.and_then(|s| s.code()), Some(3));
            assert_eq!(stderr, ["oops", "[ERROR] second"]);
        }
        other => panic!("{other:?}"),
    }

    let err = launch(
        PluginCommand::new("/bin/false"),
        LaunchConfig::new(handshake_cfg()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin exited before we could connect (exit status: 1); no stderr output"
    );
}

#[tokio::test]
async fn bad_handshake_kills_the_plugin() {
    let err = launch(
        sh("echo '1|2|unix|/tmp/x|netrpc|'; echo $$ >&2; exec sleep 30"),
        LaunchConfig::new(handshake_cfg()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Incompatible API version with plugin. Plugin version: 2, Client versions: [1]"
    );
    let err = launch(
        sh("echo 'hello world'; exec sleep 30"),
        LaunchConfig::new(handshake_cfg()),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        LaunchError::Handshake(HandshakeError::Unrecognized { ref line }) if line == "hello world"
    ));
    let err = launch(
        sh("head -c 70000 /dev/zero | tr '\\0' x; echo; exec sleep 30"),
        LaunchConfig::new(handshake_cfg()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, LaunchError::LineTooLong), "{err}");
}

#[tokio::test]
async fn stdout_is_drained_after_handshake() {
    // Collects the raw stderr copy (go-plugin `ClientConfig.Stderr`).
    let sink = SharedBytes::default();
    let mut cfg = LaunchConfig::new(handshake_cfg());
    cfg.stderr = Some(Box::new(sink.clone()));
    // 1 MB after the handshake would block forever on a 64 KiB pipe that nobody reads.
    let mut p = launch(
        sh(&format!(
            "{HS}; head -c 1000000 /dev/zero; echo drained >&2; exec sleep 30"
        )),
        cfg,
    )
    .await
    .unwrap();
    sink.wait_for("drained\n").await;
    p.kill().await;
}

#[tokio::test]
async fn bounded_wait_then_sigkill() {
    // Does not exit by itself: the bounded wait passes, then SIGKILL.
    let mut p = launch(
        sh(&format!("{HS}; exec sleep 30")),
        LaunchConfig::new(handshake_cfg()),
    )
    .await
    .unwrap();
    let pid = p.pid();
    let t = Instant::now();
    assert!(tokio::time::timeout(Duration::from_millis(300), p.wait())
        .await
        .is_err());
    assert!(t.elapsed() >= Duration::from_millis(300));
    let status = p.kill().await;
    assert_eq!(status.and_then(|s| s.signal()), Some(9));
    assert!(p.exited());
    assert_pid_gone(pid).await;

    // Exits by itself within go-plugin's 2 s; a later kill signals nothing and reports it.
    let mut p = launch(
        sh(&format!("{HS}; sleep 0.2; exit 0")),
        LaunchConfig::new(handshake_cfg()),
    )
    .await
    .unwrap();
    let waited = tokio::time::timeout(client::DEFAULT_EXIT_TIMEOUT, p.wait()).await;
    assert_eq!(waited.unwrap().and_then(|s| s.code()), Some(0));
    assert_eq!(p.exit_status().and_then(|s| s.code()), Some(0));
    assert_eq!(p.kill().await.and_then(|s| s.code()), Some(0));
}

#[tokio::test]
async fn secure_config() {
    let sum = sha256_file(std::path::Path::new("/bin/sh")).unwrap();
    let mut cfg = LaunchConfig::new(handshake_cfg());
    cfg.secure = Some(SecureConfig::sha256(sum.to_vec()));
    let mut p = launch(sh(&format!("{HS}; exec sleep 30")), cfg)
        .await
        .unwrap();
    p.kill().await;

    let mut wrong = sum;
    wrong[0] ^= 1;
    let mut cfg = LaunchConfig::new(handshake_cfg());
    cfg.secure = Some(SecureConfig::sha256(wrong.to_vec()));
    let err = launch(sh(HS), cfg).await.unwrap_err();
    assert!(matches!(err, LaunchError::ChecksumMismatch));
    assert_eq!(err.to_string(), "checksums did not match");

    let mut cfg = LaunchConfig::new(handshake_cfg());
    cfg.secure = Some(SecureConfig::sha256(Vec::new()));
    let err = launch(sh(HS), cfg).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "error verifying checksum: no checksum provided"
    );
}

#[tokio::test]
async fn reattach_liveness_helpers() {
    let mut child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("exec sleep 30")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    assert!(process::pid_alive(pid));
    process::kill_pid(pid).unwrap();
    assert_eq!(child.wait().await.unwrap().signal(), Some(9));
    tokio::time::timeout(
        Duration::from_secs(5),
        process::wait_for_pid_exit(pid, Duration::from_millis(20)),
    )
    .await
    .unwrap();
    assert!(!process::pid_alive(pid));
}

// ---------------------------------------------------------------------------------------------
// Provider side: this test binary re-executed as a plugin that ignores SIGINT.

const HELPER_ENV: &str = "TILORES_PLUGIN_SIGINT_HELPER";

/// Child half of `sigint_is_ignored_and_logged`; does nothing in a normal test run.
#[test]
fn sigint_child_helper() {
    if std::env::var_os(HELPER_ENV).is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let _guard =
            tilores_plugin_test_support::scoped_subscriber(hclog_subscriber(tracing::Level::TRACE));
        let _task = ignore_interrupts().unwrap();
        println!("\nSIGINT-HELPER-READY");
        io::stdout().flush().unwrap();
        tokio::time::sleep(Duration::from_secs(20)).await;
    });
}

#[tokio::test]
async fn sigint_is_ignored_and_logged() {
    use nix::sys::signal::{kill, Signal};
    use tokio::io::{AsyncBufReadExt, BufReader};

    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "plugin::tests::sigint_child_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = nix::unistd::Pid::from_raw(child.id().unwrap() as i32);
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(l) = out.next_line().await.unwrap() {
            if l.contains("SIGINT-HELPER-READY") {
                return;
            }
        }
        panic!("helper ended without becoming ready");
    })
    .await
    .unwrap();

    let mut errs = BufReader::new(child.stderr.take().unwrap()).lines();
    for count in 1..=3u64 {
        kill(pid, Signal::SIGINT).unwrap();
        // Each SIGINT yields one hclog JSON line on the provider's stderr (Go's exact shape).
        let line = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match errs.next_line().await.unwrap() {
                    Some(l) if l.starts_with('{') => return l,
                    Some(_) => continue,
                    None => panic!("provider stderr closed: SIGINT killed it?"),
                }
            }
        })
        .await
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["@level"], "trace", "{line}");
        assert_eq!(v["@message"], "plugin received interrupt signal, ignoring");
        assert_eq!(v["count"], count);
        assert!(is_hclog_timestamp(v["@timestamp"].as_str().unwrap()));
        assert_eq!(v.as_object().unwrap().len(), 4, "{line}");
        assert!(
            line.starts_with(r#"{"@level":"trace","@message":"plugin received interrupt signal, ignoring","@timestamp":""#)
                && line.ends_with(&format!(r#"Z","count":{count}}}"#)),
            "{line}"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "SIGINT killed the provider"
        );
    }
    kill(pid, Signal::SIGKILL).unwrap();
    assert_eq!(child.wait().await.unwrap().signal(), Some(9));
}
