//! The dispatcher end to end through go-plugin processes (go-plugin v1.4.3 and
//! tilores-plugin-api v0.6.0 on the Go side):
//! - tilores-plugin-api's own dispatcher test scenario in all four pairings (Go host ↔ Go
//!   plugin, Rust host → Go plugin, Go host → Rust plugin, Rust ↔ Rust);
//! - the real Go fake dispatcher v0.5.2 and the Rust fake dispatcher give the same answers to
//!   the same script, whichever side hosts (`tilores-plugin dispatch` and Go's
//!   `dispatcher-host`);
//! - big values, time values and 64 concurrent callers through the plugin processes.
//!
//! With the `tls` feature the api test and the fake-dispatcher script also run under
//! go-plugin's AutoMTLS in every pairing (Go's `dispatcher-host -automtls`, `tilores-plugin
//! dispatch --auto-mtls`), each run proving TLS was negotiated.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::dispatch::{assert_same, big_script, fake_script};
use tilores_plugin::dispatcher::*;
use tilores_plugin::gob::{GoTime, Interface};
use tilores_plugin::plugin::PluginCommand;
use tilores_plugin_test_support::{example_bin, go_bin, limit, limit_sync, step};

fn rust_fake() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"))
}

fn cli() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin"))
}

/// Runs `program args` with `stdin`; returns stdout (panics on a non-zero exit).
async fn run_with_stdin(program: &Path, args: &[&str], stdin: &str) -> String {
    run_with_stdin_both(program, args, stdin).await.0
}

/// [`run_with_stdin`], returning standard error too.
async fn run_with_stdin_both(program: &Path, args: &[&str], stdin: &str) -> (String, String) {
    tilores_plugin_test_support::run_with_stdin(program, args, &[], stdin).await
}

/// Go host (`dispatcher.Initialize`) running a script against `plugin`.
async fn go_host_script(plugin: &Path, script: &str) -> String {
    let p = plugin.to_str().expect("utf-8 path");
    run_with_stdin(&go_bin("dispatcher-host"), &["-plugin", p], script).await
}

/// The Rust host (`tilores-plugin dispatch`) running a script against `plugin`.
async fn rust_host_script(plugin: &Path, script: &str) -> String {
    let p = plugin.to_str().expect("utf-8 path");
    run_with_stdin(&cli(), &["dispatch", "--plugin", p], script).await
}

/// Whether to run a pairing with go-plugin's AutoMTLS: off, and on with the `tls` feature.
fn auto_mtls_modes() -> Vec<bool> {
    if cfg!(feature = "tls") {
        vec![false, true]
    } else {
        vec![false]
    }
}

/// [`go_host_script`] with AutoMTLS; asserts the host's TLS report (TLS 1.3, the plugin's
/// certificate exactly the handshake's, verified).
async fn go_host_script_mtls(plugin: &Path, script: &str) -> String {
    let p = plugin.to_str().expect("utf-8 path");
    let (out, err) = run_with_stdin_both(
        &go_bin("dispatcher-host"),
        &["-automtls", "-plugin", p],
        script,
    )
    .await;
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("dispatcher-host: tls "))
        .unwrap_or_else(|| panic!("no TLS report: {err}"));
    let report: serde_json::Value = serde_json::from_str(line).expect("TLS report JSON");
    assert_eq!(report["version"], "TLS 1.3", "{report}");
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["peer_is_root"], true, "{report}");
    out
}

/// [`rust_host_script`] with `--auto-mtls`; asserts the CLI's TLS line.
async fn rust_host_script_mtls(plugin: &Path, script: &str) -> String {
    let p = plugin.to_str().expect("utf-8 path");
    let (out, err) =
        run_with_stdin_both(&cli(), &["dispatch", "--auto-mtls", "--plugin", p], script).await;
    assert!(
        err.contains("tilores-plugin: TLS with the plugin: Some(TLSv1_3)"),
        "{err}"
    );
    out
}

// --------------------------------------------------------------------- api test, 4 pairings

/// The checks of tilores-plugin-api v0.6.0 `dispatcher/plugin_test.go` (as go-interop's
/// `dispatcher-host -scenario api-test` runs them), from the Rust host.
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
async fn rust_api_test(plugin: &Path, auto_mtls: bool) {
    let step = |what: &str| step(format!("Rust host → {}: {what}", plugin.display()));
    step("initialize");
    let config = || {
        #[allow(unused_mut)] // without the `tls` feature
        let mut c = client_config();
        #[cfg(feature = "tls")]
        {
            c.auto_mtls = auto_mtls;
        }
        c
    };
    let mut p = initialize_with(PluginCommand::new(plugin), None, config, config)
        .await
        .unwrap_or_else(|e| panic!("initialize {}: {e}", plugin.display()));
    #[cfg(feature = "tls")]
    assert_eq!(
        p.plugin().tls().and_then(|t| t.protocol_version),
        auto_mtls.then_some(tilores_plugin::plugin::tls::rustls::ProtocolVersion::TLSv1_3),
        "{}",
        plugin.display()
    );
    let d = p.dispatcher().clone();
    let what = plugin.display().to_string();

    // Entity with a deadline 3 s ahead: the plugin sees exactly that deadline.
    step("entity with deadline");
    let call = CallContext::with_timeout(Duration::from_secs(3));
    let deadline = call.deadline.expect("deadline");
    let out = d
        .entity(call, EntityInput { id: "abcd".into() })
        .await
        .unwrap_or_else(|e| panic!("{what}: entity: {e}"));
    let e = out.entity.expect("entity not nil");
    assert_eq!(e.id, "abcd");
    assert_eq!(e.records.len(), 1, "{what}");
    let data = e.records[0].data.as_ref().expect("record data");
    assert_eq!(data["foo"], Interface::from("bar"));
    assert_eq!(data["deadlineExists"], Interface::from(true), "{what}");
    let utc = GoTime {
        offset: None,
        ..deadline
    };
    assert_eq!(
        data["deadline"],
        Interface::from(utc.to_rfc3339()),
        "{what}: deadline round trip"
    );
    assert_eq!(e.edges.0, vec!["12345:12345:STATIC".to_string()]);
    let dups = e.duplicates.expect("duplicates");
    assert_eq!(dups.0["12345"], vec!["12345", "duplicateID"]);
    assert_eq!(e.hits.expect("hits").0["12345"], vec!["someRuleName"]);

    // Without a deadline the plugin sees none.
    step("entity without deadline");
    let out = d
        .entity(CallContext::background(), EntityInput { id: "abcd".into() })
        .await
        .unwrap();
    let entity = out.entity.expect("entity");
    let data = entity.records[0].data.as_ref().expect("record data");
    assert_eq!(data["deadlineExists"], Interface::from(false), "{what}");
    assert!(!data.contains_key("deadline"));

    step("search");
    let params = SearchParameters([("foo".into(), Interface::from("bar"))].into());
    let out = d
        .search(
            CallContext::background(),
            SearchInput {
                parameters: Some(params),
            },
        )
        .await
        .unwrap();
    assert_eq!(out.entities.len(), 1);
    assert_eq!(out.entities[0].id, "abcd");

    step("submit");
    let out = d
        .submit(
            CallContext::background(),
            SubmitInput {
                records: vec![Record::new(
                    "12345",
                    [("foo".into(), Interface::from("bar"))].into(),
                )],
            },
        )
        .await
        .unwrap();
    assert_eq!(out.records_added, 1);

    step("disassemble");
    let out = d
        .disassemble(
            CallContext::background(),
            DisassembleInput {
                reference: "123123".into(),
                edges: vec![DisassembleEdge {
                    a: "abc".into(),
                    b: "def".into(),
                }],
                record_ids: vec!["12345".into()],
                create_connection_ban: true,
                meta: DisassembleMeta {
                    user: "someUser".into(),
                    reason: "someReason".into(),
                },
                timeout: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(out.entity_ids, vec!["abcd".to_string()]);
    assert_eq!((out.deleted_edges, out.deleted_records), (1, 1));

    // RemoveConnectionBan returns its error text.
    step("removeConnectionBan");
    let err = d
        .remove_connection_ban(
            CallContext::background(),
            RemoveConnectionBanInput {
                reference: "123123".into(),
                entity_id: "someID".into(),
                others: vec!["someOtherID".into()],
                meta: RemoveConnectionBanMeta {
                    user: "someUser".into(),
                    reason: "someReason".into(),
                },
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "forced remove connection ban error");

    step("kill");
    let outcome = p.kill().await;
    assert!(outcome.graceful, "{what}: {outcome:?}");
}

/// `dispatcher-host -scenario api-test` (Go host) against `plugin` (with `-automtls`: its
/// check that TLS 1.3 was negotiated with the handshake's certificate must be there).
fn go_api_test(plugin: &Path, auto_mtls: bool) {
    let mut cmd = std::process::Command::new(go_bin("dispatcher-host"));
    if auto_mtls {
        cmd.arg("-automtls");
    }
    let out = cmd
        .args(["-scenario", "api-test", "-plugin"])
        .arg(plugin)
        .output()
        .expect("run dispatcher-host");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "dispatcher-host printed {stdout:?} ({e}); stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(
        v["ok"],
        true,
        "Go host api-test with {}: {v}",
        plugin.display()
    );
    assert!(v["checks"].as_array().is_some_and(|c| c.len() >= 15), "{v}");
    let tls_checked = v["checks"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["name"] == "tls: AutoMTLS negotiated (extra)" && c["ok"] == true)
    });
    assert_eq!(tls_checked, auto_mtls, "{v}");
    assert!(
        out.status.success(),
        "dispatcher-host api-test exited {} after ok",
        out.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_test_in_all_four_pairings() {
    limit(async {
        let go_plugin = go_bin("dispatcher-testplugin");
        let rust_plugin = example_bin("dispatcher_test_plugin");
        for mtls in auto_mtls_modes() {
            step(format!("Go host ↔ Go plugin, AutoMTLS {mtls}"));
            go_api_test(&go_plugin, mtls); // the baseline
            step(format!("Rust host → Go plugin, AutoMTLS {mtls}"));
            rust_api_test(&go_plugin, mtls).await;
            step(format!("Go host → Rust plugin, AutoMTLS {mtls}"));
            go_api_test(&rust_plugin, mtls);
            step(format!("Rust host ↔ Rust plugin, AutoMTLS {mtls}"));
            rust_api_test(&rust_plugin, mtls).await;
        }
    })
    .await
}

#[test]
fn go_host_reattaches_to_rust_fake_dispatcher() {
    limit_sync(|| {
        let out = std::process::Command::new(go_bin("dispatcher-host"))
            .arg("-reattach-scenario")
            .arg("-plugin")
            .arg(rust_fake())
            .output()
            .expect("run dispatcher-host");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(last).expect("JSON line");
        assert_eq!(v["ok"], true, "{stdout}");
        // dispatcher-host's reattach scenario exits 0 iff ok.
        assert!(
            out.status.success(),
            "exit status {} with {v}; stderr {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    })
}

/// How many records the plugin's Entity answer holds.
async fn stored_records(plugin: &DispatcherPlugin) -> usize {
    let out = plugin
        .dispatcher()
        .entity(CallContext::background(), EntityInput { id: "x".into() })
        .await
        .unwrap();
    out.entity.expect("entity").records.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_initialize_reattaches_or_falls_back() {
    limit(async {
        let plugin = rust_fake();
        let mut first = initialize(PluginCommand::new(&plugin), None).await.unwrap();
        let rc = first.reattach_config();
        let submit = SubmitInput {
            records: vec![Record::new(
                "r1",
                [("k".into(), Interface::from("v"))].into(),
            )],
        };
        first
            .dispatcher()
            .submit(CallContext::background(), submit)
            .await
            .unwrap();
        // Reattach: same process, same records.
        let mut second = initialize(PluginCommand::new(&plugin), Some(&rc))
            .await
            .unwrap();
        assert_eq!(second.reattach_config().pid, rc.pid);
        assert_eq!(stored_records(&second).await, 1);
        second.kill().await;
        first.kill().await;
        // A stale config: Initialize silently launches a fresh process.
        let mut third = initialize(PluginCommand::new(&plugin), Some(&rc))
            .await
            .unwrap();
        assert_ne!(third.reattach_config().pid, rc.pid);
        assert_eq!(stored_records(&third).await, 0);
        third.kill().await;
    })
    .await
}

/// The README's main job: the demo script against the bundled fake answers every line and
/// ends without an error in the log (the plugin's connection ending at the host's kill is
/// not one, as in Go).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_demo_runs_clean() {
    limit(async {
        let demo = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/dispatch/demo.jsonl"),
        )
        .expect("demo script");
        let (out, err) = run_with_stdin_both(&cli(), &["dispatch"], &demo).await;
        assert_eq!(
            out.lines().count(),
            demo.lines().filter(|l| !l.trim().is_empty()).count(),
            "one answer per script line:\n{out}"
        );
        assert!(
            !err.lines().any(|l| l.contains(" ERROR ")),
            "errors logged by the demo:\n{err}"
        );
    })
    .await
}

// ------------------------------------------------------------- fakes: same answers, any host

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fakes_answer_alike_whichever_side_hosts() {
    limit(async {
        let script = fake_script();
        let go_fake = go_bin("tilores-plugin-fake-dispatcher");
        let baseline = go_host_script(&go_fake, &script).await; // Go ↔ Go
        let rust_host_go_fake = rust_host_script(&go_fake, &script).await;
        let go_host_rust_fake = go_host_script(&rust_fake(), &script).await;
        let rust_rust = rust_host_script(&rust_fake(), &script).await;
        let bundled = run_with_stdin(&cli(), &["dispatch"], &script).await;
        assert_same(
            "Rust host → Go fake",
            &script,
            &baseline,
            &rust_host_go_fake,
        );
        assert_same(
            "Go host → Rust fake",
            &script,
            &baseline,
            &go_host_rust_fake,
        );
        assert_same("Rust host → Rust fake", &script, &baseline, &rust_rust);
        assert_same("bundled fake", &script, &baseline, &bundled);
        if cfg!(feature = "tls") {
            // The same answers with AutoMTLS, in all four pairings (Go ↔ Go the reference).
            let runs = [
                (
                    "AutoMTLS Go host → Go fake",
                    go_host_script_mtls(&go_fake, &script).await,
                ),
                (
                    "AutoMTLS Rust host → Go fake",
                    rust_host_script_mtls(&go_fake, &script).await,
                ),
                (
                    "AutoMTLS Go host → Rust fake",
                    go_host_script_mtls(&rust_fake(), &script).await,
                ),
                (
                    "AutoMTLS Rust host → Rust fake",
                    rust_host_script_mtls(&rust_fake(), &script).await,
                ),
            ];
            for (what, out) in &runs {
                assert_same(what, &script, &baseline, out);
            }
        }
        // The script's last lines: the fake's crash and the host's connection errors after it.
        let lines: Vec<&str> = baseline.lines().collect();
        assert_eq!(lines[lines.len() - 2], r#"{"error":"unexpected EOF"}"#);
        assert_eq!(
            lines[lines.len() - 1],
            r#"{"error":"connection is shut down"}"#
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_values_through_plugin_processes() {
    limit(async {
        let script = big_script();
        let go_fake = go_bin("tilores-plugin-fake-dispatcher");
        let baseline = go_host_script(&go_fake, &script).await;
        let rust_host = rust_host_script(&go_fake, &script).await;
        let go_host = go_host_script(&rust_fake(), &script).await;
        assert_same("big: Rust host → Go fake", &script, &baseline, &rust_host);
        assert_same("big: Go host → Rust fake", &script, &baseline, &go_host);
        let lines: Vec<&str> = baseline.lines().collect();
        assert!(lines[1].len() > 1 << 20, "the 1 MiB string came back");
        assert_eq!(lines[2], r#"{"output":{"recordsAdded":10000}}"#);
    })
    .await
}

/// Time values inside interface values and 64 concurrent callers, Rust host → Go fake and
/// Rust host → Rust fake: the same stored records come back from both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_and_concurrent_callers() {
    limit(async {
        for plugin in [go_bin("tilores-plugin-fake-dispatcher"), rust_fake()] {
            let mut p = initialize(PluginCommand::new(&plugin), None).await.unwrap();
            let d = p.dispatcher().clone();
            let when = GoTime {
                unix_secs: 1_700_000_000,
                nanos: 123_456_789,
                offset: Some(19_800),
            };
            let utc = GoTime {
                offset: None,
                ..when
            };
            let data = [
                ("at".into(), Interface::from_concrete(when)),
                ("utc".into(), Interface::from_concrete(utc)),
                ("name".into(), Interface::from("Zoë")),
            ]
            .into();
            d.submit(
                CallContext::background(),
                SubmitInput {
                    records: vec![Record::new("t1", data)],
                },
            )
            .await
            .unwrap();
            let mut calls = Vec::new();
            for i in 0..64 {
                let d = d.clone();
                calls.push(tokio::spawn(async move {
                    let out = d
                        .entity(
                            CallContext::background(),
                            EntityInput {
                                id: format!("e{i}"),
                            },
                        )
                        .await?;
                    Ok::<_, DispatchError>((i, out))
                }));
            }
            for call in calls {
                let (i, out) = call.await.unwrap().unwrap();
                let e = out.entity.expect("entity");
                assert_eq!(e.id, format!("e{i}"), "reply matched to its call");
                assert_eq!(e.records.len(), 1);
                let data = e.records[0].data.as_ref().expect("record data");
                assert_eq!(data["at"], Interface::from_concrete(when));
                assert_eq!(data["utc"], Interface::from_concrete(utc));
            }
            // Search by a UTC time matches (Go compares times including the location).
            let params = SearchParameters([("utc".into(), Interface::from_concrete(utc))].into());
            let out = d
                .search(
                    CallContext::background(),
                    SearchInput {
                        parameters: Some(params),
                    },
                )
                .await
                .unwrap();
            assert_eq!(out.entities.len(), 1, "{}", plugin.display());
            p.kill().await;
        }
    })
    .await
}
