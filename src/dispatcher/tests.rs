//! Rust ↔ Rust over an in-memory stream: the tilores-plugin-api v0.6.0 test scenario,
//! Go's argument checks and texts, the fake's semantics, nil-versus-empty, the script runner.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use gob::{GoTime, Interface, Type, Value};
use tilores_plugin_test_support::{mask, TempDir};

use super::fake::go_equal;
use super::script::run_line;
use super::*;
use crate::rpc::{Client, RpcError};

/// The fixture of tilores-plugin-api v0.6.0 `dispatcher/plugin_test.go` (`testEntity`).
fn test_entity() -> Entity {
    Entity {
        id: "abcd".into(),
        records: vec![Record::new(
            "12345",
            BTreeMap::from([("foo".into(), Interface::from("bar"))]),
        )],
        edges: Edges(vec!["12345:12345:STATIC".into()]),
        duplicates: Some(Duplicates(BTreeMap::from([(
            "12345".to_string(),
            vec!["12345".to_string(), "duplicateID".to_string()],
        )]))),
        hits: Some(Hits(BTreeMap::from([(
            "12345".to_string(),
            vec!["someRuleName".to_string()],
        )]))),
    }
}

/// Go's `testDispatcher`, which also remembers the calls' contexts and inputs.
#[derive(Default)]
struct TestDispatcher {
    seen: Mutex<Vec<(String, CallContext)>>,
    submitted: Mutex<Vec<SubmitInput>>,
    disassembled: Mutex<Vec<DisassembleInput>>,
    unbanned: Mutex<Vec<RemoveConnectionBanInput>>,
}

impl TestDispatcher {
    fn saw(&self, method: &str, call: CallContext) {
        self.seen.lock().unwrap().push((method.to_string(), call));
    }
}

impl Dispatcher for TestDispatcher {
    async fn entity(
        &self,
        call: CallContext,
        _input: EntityInput,
    ) -> Result<EntityOutput, DispatchError> {
        self.saw("entity", call);
        Ok(EntityOutput {
            entity: Some(test_entity()),
        })
    }
    async fn submit(
        &self,
        call: CallContext,
        input: SubmitInput,
    ) -> Result<SubmitOutput, DispatchError> {
        self.saw("submit", call);
        self.submitted.lock().unwrap().push(input);
        Ok(SubmitOutput { records_added: 1 })
    }
    async fn search(
        &self,
        call: CallContext,
        _input: SearchInput,
    ) -> Result<SearchOutput, DispatchError> {
        self.saw("search", call);
        Ok(SearchOutput {
            entities: vec![test_entity()],
        })
    }
    async fn disassemble(
        &self,
        call: CallContext,
        input: DisassembleInput,
    ) -> Result<DisassembleOutput, DispatchError> {
        self.saw("disassemble", call);
        self.disassembled.lock().unwrap().push(input);
        Ok(DisassembleOutput {
            deleted_edges: 1,
            deleted_records: 1,
            entity_ids: vec!["abcd".into()],
        })
    }
    async fn remove_connection_ban(
        &self,
        call: CallContext,
        input: RemoveConnectionBanInput,
    ) -> Result<(), DispatchError> {
        self.saw("removeConnectionBan", call);
        self.unbanned.lock().unwrap().push(input);
        Err(DispatchError::new("forced remove connection ban error"))
    }
    /// The test-only method of the method table.
    async fn echo(&self, call: CallContext, input: EchoInput) -> Result<EchoOutput, DispatchError> {
        self.saw("echo", call);
        Ok(EchoOutput {
            text: input.text.chars().rev().collect(),
        })
    }
}

/// A dispatcher client connected to `d` served on an in-memory stream.
fn connect<D: Dispatcher + 'static>(d: Arc<D>) -> DispatcherClient {
    DispatcherClient::new(raw_client(d))
}

fn raw_client<D: Dispatcher + 'static>(d: Arc<D>) -> Client {
    let server = rpc_server(d);
    let (host, plugin) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move { server.serve(plugin).await });
    Client::new(host)
}

#[tokio::test]
async fn api_test_scenario() {
    let d = Arc::new(TestDispatcher::default());
    let plugin = connect(d.clone());

    // Entity with a deadline 3 s ahead: the plugin sees exactly that deadline.
    let call = CallContext::with_timeout(std::time::Duration::from_secs(3));
    let out = plugin
        .entity(call, EntityInput { id: "abcd".into() })
        .await
        .unwrap();
    let e = out.entity.unwrap();
    assert_eq!(e, test_entity());
    assert_eq!(e.records.len(), 1);
    assert_eq!(
        e.records[0].data.as_ref().unwrap()["foo"],
        Interface::from("bar")
    );
    assert_eq!(e.edges.0.len(), 1);
    assert_eq!(e.duplicates.as_ref().unwrap().0.len(), 1);
    {
        let seen = d.seen.lock().unwrap();
        assert_eq!(seen[0].0, "entity");
        assert_eq!(seen[0].1.deadline, call.deadline);
        let left = seen[0].1.remaining().unwrap();
        assert!(left > std::time::Duration::from_secs(2), "{left:?}");
    }

    // Without a deadline the plugin sees none (Go sends no "deadline" key).
    plugin
        .entity(CallContext::background(), EntityInput { id: "x".into() })
        .await
        .unwrap();
    assert_eq!(d.seen.lock().unwrap()[1].1.deadline, None);

    let mut params = InterfaceMap::new();
    params.insert("foo".into(), Interface::from("bar"));
    let found = plugin
        .search(
            CallContext::background(),
            SearchInput {
                parameters: Some(SearchParameters(params)),
            },
        )
        .await
        .unwrap();
    assert_eq!(found.entities, vec![test_entity()]);

    let submit = SubmitInput {
        records: vec![Record::new(
            "12345",
            BTreeMap::from([("foo".into(), Interface::from("bar"))]),
        )],
    };
    let added = plugin
        .submit(CallContext::background(), submit.clone())
        .await
        .unwrap();
    assert_eq!(added.records_added, 1);
    assert_eq!(d.submitted.lock().unwrap()[0], submit);

    let dis = DisassembleInput {
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
        timeout: Some(5_000_000_000),
    };
    let out = plugin
        .disassemble(CallContext::background(), dis.clone())
        .await
        .unwrap();
    assert_eq!(out.entity_ids, vec!["abcd".to_string()]);
    assert_eq!((out.deleted_edges, out.deleted_records), (1, 1));
    assert_eq!(d.disassembled.lock().unwrap()[0], dis);

    let unban = RemoveConnectionBanInput {
        reference: "123123".into(),
        entity_id: "someID".into(),
        others: vec!["someOtherID".into()],
        meta: RemoveConnectionBanMeta {
            user: "someUser".into(),
            reason: "someReason".into(),
        },
    };
    let err = plugin
        .remove_connection_ban(CallContext::background(), unban.clone())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "forced remove connection ban error");
    assert!(!err.is_connection_error());
    assert_eq!(d.unbanned.lock().unwrap()[0], unban);
}

/// The server still serves the stream: the next call is answered (an error reply is fine).
async fn assert_open(client: &Client) {
    let next = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        client.call::<_, Interface>("Plugin.Entity", &InterfaceMap::new()),
    )
    .await
    .expect("the next call must end, not hang");
    if let Err(e) = next {
        assert!(
            !e.is_connection_error(),
            "expected the stream open, got {e:?}"
        );
    }
}

/// Calls `Plugin.<method>` with a hand-built argument map and returns the error text.
async fn raw_error(client: &Client, method: &str, args: &InterfaceMap) -> String {
    match client
        .call::<_, Interface>(&format!("Plugin.{method}"), args)
        .await
    {
        Err(RpcError::Server(text)) => text,
        other => panic!("{method}: expected a server error, got {other:?}"),
    }
}

#[tokio::test]
async fn server_checks_arguments_with_go_texts() {
    let client = raw_client(Arc::new(TestDispatcher::default()));
    let args = |pairs: Vec<(&str, Interface)>| -> InterfaceMap {
        pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()
    };
    assert_eq!(
        raw_error(&client, "Entity", &args(vec![])).await,
        "key input not found in args"
    );
    assert_eq!(
        raw_error(
            &client,
            "Entity",
            &args(vec![("input", Interface::from("str"))])
        )
        .await,
        "key records is not a *EntityInput but a string"
    );
    assert_eq!(
        raw_error(&client, "Submit", &args(vec![("input", Interface::nil())])).await,
        "key records is not a *SubmitInput but a <nil>"
    );
    let entity_input = Interface::from_concrete(EntityInput { id: "e".into() });
    for (method, want) in [
        (
            "Search",
            "key input is not a *SearchInput but a *dispatcher.EntityInput",
        ),
        (
            "Disassemble",
            "key input is not a *DisassembleInput but a *dispatcher.EntityInput",
        ),
        (
            "RemoveConnectionBan",
            "key input is not a *RemoveConnectionBanInput but a *dispatcher.EntityInput",
        ),
    ] {
        assert_eq!(
            raw_error(
                &client,
                method,
                &args(vec![("input", entity_input.clone())])
            )
            .await,
            want
        );
    }
    let nested_map = Interface::new(
        "map[string]interface {}",
        Value::new_map(Type::string_interface_map(), vec![]),
    );
    assert_eq!(
        raw_error(&client, "Entity", &args(vec![("input", nested_map)])).await,
        "key records is not a *EntityInput but a map[string]interface {}"
    );
    // A name Go never registered fails the whole argument, as Go's gob decoder does; so does a
    // bare element of a list (an interface under its default name) whose default name Go never
    // registered.
    let bare_map = Value::new_map(Type::map("", Type::String, Type::Int), vec![]);
    for (value, name) in [
        (Interface::new("main.Secret", Value::Int(1)), "main.Secret"),
        (
            Interface::new(
                "[]interface {}",
                Value::new_slice(Type::interface_slice(), vec![bare_map]),
            ),
            "map[string]int",
        ),
    ] {
        let submit = SubmitInput {
            records: vec![Record::new("r", BTreeMap::from([("k".into(), value)]))],
        };
        // Go's decoder stops at the name and drops the rest of its message, the last of the
        // body (no definitions follow a builtin concrete type): it answers and serves on
        // (pinned against Go in tests/fuzz_sessions.rs).
        let client = raw_client(Arc::new(TestDispatcher::default()));
        assert_eq!(
            raw_error(
                &client,
                "Submit",
                &args(vec![("input", Interface::from_concrete(submit))])
            )
            .await,
            format!("gob: name not registered for interface: {name:?}")
        );
        assert_open(&client).await;
    }
    assert_eq!(
        raw_error(&client, "Frobnicate", &args(vec![])).await,
        "rpc: can't find method Plugin.Frobnicate"
    );
    // The stream is still usable, and a deadline that is not a time.Time is ignored.
    let ok: EntityOutput = client
        .call(
            "Plugin.Entity",
            &args(vec![
                ("input", Interface::from_concrete(EntityInput::default())),
                ("deadline", Interface::from("tomorrow")),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(ok.entity.unwrap().id, "abcd");
}

/// `Dispatcher` methods that a test dispatcher refuses with the error "no".
macro_rules! refuse {
    ($($method:ident($input:ty) -> $output:ty),* $(,)?) => {$(
        async fn $method(&self, _: CallContext, _: $input) -> Result<$output, DispatchError> {
            Err("no".into())
        }
    )*};
}

/// A plugin whose RemoveConnectionBan succeeds.
struct Unbanner;

impl Dispatcher for Unbanner {
    async fn entity(&self, _: CallContext, i: EntityInput) -> Result<EntityOutput, DispatchError> {
        // An entity with every collection empty: slices travel as nil, the non-nil empty
        // map is sent (Go sees {}), the nil map is omitted (Go sees nil).
        Ok(EntityOutput {
            entity: Some(Entity {
                id: i.id,
                records: vec![],
                edges: Edges::default(),
                duplicates: Some(Duplicates::default()),
                hits: None,
            }),
        })
    }
    refuse!(
        submit(SubmitInput) -> SubmitOutput,
        disassemble(DisassembleInput) -> DisassembleOutput,
    );
    async fn search(&self, _: CallContext, _: SearchInput) -> Result<SearchOutput, DispatchError> {
        Ok(SearchOutput::default())
    }
    async fn remove_connection_ban(
        &self,
        _: CallContext,
        _: RemoveConnectionBanInput,
    ) -> Result<(), DispatchError> {
        Ok(())
    }
}

#[tokio::test]
async fn remove_connection_ban_success_is_a_nil_interface_and_empties_keep_go_shape() {
    let client = raw_client(Arc::new(Unbanner));
    let mut args = InterfaceMap::new();
    args.insert(
        "input".into(),
        Interface::from_concrete(RemoveConnectionBanInput::default()),
    );
    // Decoding into Interface requires the wire type interface (Go's host needs it too).
    let reply: Interface = client
        .call("Plugin.RemoveConnectionBan", &args)
        .await
        .unwrap();
    assert!(reply.is_nil());

    let plugin = DispatcherClient::new(client);
    let out = plugin
        .entity(CallContext::background(), EntityInput { id: "e".into() })
        .await
        .unwrap();
    let e = out.entity.clone().unwrap();
    assert!(e.records.is_empty() && e.edges.0.is_empty());
    assert_eq!(e.duplicates, Some(Duplicates::default()));
    assert_eq!(e.hits, None);
    let mut w = gojson::JsonWriter::new();
    gojson::WriteJson::write_json(&out, &mut w).unwrap();
    assert_eq!(
        String::from_utf8(w.into_bytes()).unwrap(),
        r#"{"entity":{"id":"e","records":null,"edges":null,"duplicates":{},"hits":null}}"#
    );
}

#[test]
fn nil_interface_reply_bytes_match_go() {
    // Spec §9.2: Go's successful RemoveConnectionBan body is `03 10 00 00`.
    let bytes = gob::to_vec(&Interface::nil()).unwrap();
    assert_eq!(bytes, [0x03, 0x10, 0x00, 0x00]);
}

fn record(id: &str, data: Vec<(&str, Interface)>) -> Record {
    Record::new(id, data.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn odd_record(n: usize) -> Record {
    // The Go fake's own test fixture.
    record(
        &n.to_string(),
        vec![
            ("ignoredField", Interface::from("match")),
            ("isOdd", Interface::from(n % 2 == 1)),
        ],
    )
}

fn search_for(pairs: Vec<(&str, Interface)>) -> SearchInput {
    SearchInput {
        parameters: Some(SearchParameters(
            pairs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )),
    }
}

#[tokio::test]
async fn fake_dispatcher_follows_go_fake_test() {
    // TestFakeDispatcher of tilores-plugin-fake-dispatcher v0.5.2, over the wire.
    let fake = connect(Arc::new(FakeDispatcher::new()));
    let bg = CallContext::background;
    let is_odd = || search_for(vec![("isOdd", Interface::from(true))]);

    assert!(fake
        .search(bg(), is_odd())
        .await
        .unwrap()
        .entities
        .is_empty());
    fake.submit(
        bg(),
        SubmitInput {
            records: vec![odd_record(1)],
        },
    )
    .await
    .unwrap();
    let e = fake
        .entity(
            bg(),
            EntityInput {
                id: "foo-id".into(),
            },
        )
        .await
        .unwrap()
        .entity
        .unwrap();
    assert_eq!(e.id, "foo-id");
    assert_eq!(e.records.len(), 1);
    assert_eq!(e.records[0].id, "1");
    assert_eq!(
        fake.search(bg(), is_odd()).await.unwrap().entities[0]
            .records
            .len(),
        1
    );

    let nine = SubmitInput {
        records: (2..=10).map(odd_record).collect(),
    };
    assert_eq!(fake.submit(bg(), nine).await.unwrap().records_added, 9);
    let e = fake
        .entity(bg(), EntityInput::default())
        .await
        .unwrap()
        .entity
        .unwrap();
    let ids: Vec<_> = e.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    let found = fake.search(bg(), is_odd()).await.unwrap();
    assert_eq!(found.entities.len(), 1);
    assert_eq!(found.entities[0].records.len(), 5);

    fake.submit(
        bg(),
        SubmitInput {
            records: vec![odd_record(11)],
        },
    )
    .await
    .unwrap();
    let e = fake
        .entity(bg(), EntityInput::default())
        .await
        .unwrap()
        .entity
        .unwrap();
    let ids: Vec<_> = e.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["11", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    assert!(e.edges.0.is_empty());
    assert_eq!(e.duplicates, Some(Duplicates::default()));
    assert_eq!(e.hits, Some(Hits::default()));
}

#[tokio::test]
async fn fake_search_uses_go_interface_equality() {
    let fake = FakeDispatcher::new();
    let bg = CallContext::background;
    fake.submit(
        bg(),
        SubmitInput {
            records: vec![
                record("float", vec![("n", Interface::from(42.0))]),
                record("int", vec![("n", Interface::from(42isize))]),
                record("int64", vec![("n", Interface::from(42i64))]),
                record("nokey", vec![("other", Interface::from("x"))]),
                Record {
                    id: "nildata".into(),
                    data: None,
                },
            ],
        },
    )
    .await
    .unwrap();
    let ids = |out: SearchOutput| -> Vec<String> {
        out.entities
            .iter()
            .flat_map(|e| e.records.iter().map(|r| r.id.clone()))
            .collect()
    };
    // Same value, different dynamic types: only the identical type matches.
    let out = fake
        .search(bg(), search_for(vec![("n", Interface::from(42isize))]))
        .await
        .unwrap();
    assert_eq!(ids(out.clone()), ["int"]);
    let id = &out.entities[0].id;
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "4", "version 4: {id}");
    assert!("89ab".contains(&id[19..20]), "RFC 4122 variant: {id}");
    assert_ne!(
        fake.search(bg(), search_for(vec![("n", Interface::from(42isize))]))
            .await
            .unwrap()
            .entities[0]
            .id,
        *id,
        "each search makes a fresh id"
    );
    let out = fake
        .search(bg(), search_for(vec![("n", Interface::from(42.0))]))
        .await
        .unwrap();
    assert_eq!(ids(out), ["float"]);
    // A nil parameter matches records lacking the key (and records without data).
    let out = fake
        .search(bg(), search_for(vec![("n", Interface::nil())]))
        .await
        .unwrap();
    assert_eq!(ids(out), ["nokey", "nildata"]);
    // No match: no entities.
    let out = fake
        .search(bg(), search_for(vec![("n", Interface::from(7.0))]))
        .await
        .unwrap();
    assert!(out.entities.is_empty());
    // Where Go panics, the default policy fails the call and keeps the records.
    let err = fake.search(bg(), SearchInput::default()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "fake dispatcher: Go panics here: runtime error: invalid memory address or nil pointer dereference"
    );
    fake.submit(
        bg(),
        SubmitInput {
            records: vec![record(
                "list",
                vec![(
                    "n",
                    gob::json::interface_from_plain_json(&serde_json::json!([1])),
                )],
            )],
        },
    )
    .await
    .unwrap();
    let list = gob::json::interface_from_plain_json(&serde_json::json!([1]));
    let err = fake
        .search(bg(), search_for(vec![("n", list)]))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "fake dispatcher: Go panics here: runtime error: comparing uncomparable type []interface {}"
    );
    let e = fake
        .entity(bg(), EntityInput::default())
        .await
        .unwrap()
        .entity
        .unwrap();
    assert_eq!(e.records.len(), 6);
}

#[test]
fn go_equal_on_times_and_nil() {
    let t = GoTime::from_unix(1_900_000_000, 5);
    let a = Interface::from_concrete(t);
    assert_eq!(go_equal(&a, &Interface::from_concrete(t)), Ok(true));
    assert_eq!(
        go_equal(
            &a,
            &Interface::from_concrete(GoTime::from_unix(1_900_000_000, 6))
        ),
        Ok(false)
    );
    assert_eq!(go_equal(&Interface::nil(), &Interface::nil()), Ok(true));
    assert_eq!(go_equal(&Interface::nil(), &Interface::from("")), Ok(false));
}

/// Elements of `interface{}` arrays and maps may be stored bare (see `gob::Value`); Go's `==`
/// and Go's JSON encoder still see the interface values they stand for.
#[test]
fn bare_interface_elements_keep_go_semantics() {
    let arr = |v: Value| {
        Interface::new(
            "[1]interface {}",
            Value::new_array(Type::array("", 1, Type::Interface), vec![v]),
        )
    };
    let list = || Value::new_slice(Type::interface_slice(), vec![]);
    let x = || Value::String("x".into());
    // Different dynamic types are unequal; identical uncomparable ones panic with their type.
    assert_eq!(go_equal(&arr(list()), &arr(x())), Ok(false));
    assert_eq!(
        go_equal(&arr(list()), &arr(list())),
        Err("[]interface {}".into())
    );
    // Bare and boxed forms of the same interface value are equal; int and int64 are not.
    assert_eq!(
        go_equal(
            &arr(x()),
            &arr(Value::Interface(Box::new(Interface::from("x"))))
        ),
        Ok(true)
    );
    assert_eq!(
        go_equal(
            &arr(Value::Int(1)),
            &arr(Value::from(Interface::from(1i64)))
        ),
        Ok(false)
    );
    // Arrays of different element types holding equal elements are different types.
    let inner_iface = Value::new_array(Type::array("", 1, Type::Interface), vec![x()]);
    let inner_string = Value::new_array(Type::array("", 1, Type::String), vec![x()]);
    assert_eq!(go_equal(&arr(inner_iface), &arr(inner_string)), Ok(false));

    // Go's encoding/json refuses interface{} map keys, also when the keys are bare strings
    // and when the map is itself a bare list element.
    let iface_map = Value::new_map(
        Type::map("", Type::Interface, Type::Interface),
        vec![(x(), x())],
    );
    let want = "json: unsupported type: map[interface {}]interface {}";
    let top = Interface::new("map[interface {}]interface {}", iface_map.clone());
    let nested = Interface::new(
        "[]interface {}",
        Value::new_slice(Type::interface_slice(), vec![iface_map]),
    );
    for i in [top, nested] {
        let mut w = gojson::JsonWriter::new();
        assert_eq!(gojson::write_interface(&mut w, &i).unwrap_err().0, want);
    }
}

/// The script and the Go output recorded in go-interop/README.md (dispatcher-host against
/// the Go fake dispatcher v0.5.2), with the random search entity id masked.
const README_SCRIPT: &str = r#"{"call":"entity","input":{"id":"e1"}}
{"call":"submit","input":{"records":[{"id":"r1","data":{"name":"Alice","age":42,"nested":{"a":[1,"x",true,null]},"html":"<b>&</b>"}},{"id":"r2","data":{"name":"Bob"}}]}}

{"call":"entity","input":{"id":"e2"},"deadline_ms":5000}
{"call":"search","input":{"parameters":{"name":"Alice"}}}
{"call":"search","input":{"parameters":{"name":"Nobody"}}}
{"call":"disassemble","input":{"reference":"ref","edges":[{"a":"r1","b":"r2"}],"recordIDs":["r1"],"createConnectionBan":true,"meta":{"user":"u","reason":"why"},"timeout":1000000000}}
{"call":"removeConnectionBan","input":{"reference":"ref","entityID":"e1","others":["e2"],"meta":{"user":"u","reason":"why"}}}
this is not json
{"call":"frobnicate","input":{}}
{"call":"entity","input":"notanobject"}
{"call":"entity"}
"#;

const README_OUTPUT: &str = r#"{"output":{"entity":{"id":"e1","records":null,"edges":null,"duplicates":{},"hits":{}}}}
{"output":{"recordsAdded":2}}
{"output":{"entity":{"id":"e2","records":[{"id":"r1","data":{"age":42,"html":"<b>&</b>","name":"Alice","nested":{"a":[1,"x",true,null]}}},{"id":"r2","data":{"name":"Bob"}}],"edges":null,"duplicates":{},"hits":{}}}}
{"output":{"entities":[{"id":"UUID","records":[{"id":"r1","data":{"age":42,"html":"<b>&</b>","name":"Alice","nested":{"a":[1,"x",true,null]}}}],"edges":null,"duplicates":{},"hits":{}}]}}
{"output":{"entities":null}}
{"error":"not implemented for fake dispatcher"}
{"error":"not implemented for fake dispatcher"}
{"error":"invalid character 'h' in literal true (expecting 'r')"}
{"error":"unknown call: frobnicate"}
{"error":"json: cannot unmarshal string into Go value of type dispatcher.EntityInput"}
"#;

#[tokio::test]
async fn script_output_matches_go_host_recording() {
    // Through the wire (as `tilores-plugin dispatch` runs), and in-process: the same lines.
    let over_wire = connect(Arc::new(FakeDispatcher::new()));
    let mut out = Vec::new();
    let summary = run_script(
        &over_wire,
        README_SCRIPT.as_bytes(),
        &mut out,
        &ScriptOptions::default(),
    )
    .await
    .unwrap();
    let last_entity = r#"{"output":{"entity":{"id":"","records":[{"id":"r1","data":{"age":42,"html":"<b>&</b>","name":"Alice","nested":{"a":[1,"x",true,null]}}},{"id":"r2","data":{"name":"Bob"}}],"edges":null,"duplicates":{},"hits":{}}}}"#;
    let want = format!("{README_OUTPUT}{last_entity}\n");
    assert_eq!(mask(&String::from_utf8(out).unwrap()), want);
    assert_eq!(
        summary,
        ScriptSummary {
            lines: 11,
            succeeded: 6,
            failed: 5
        }
    );

    let in_process = FakeDispatcher::new();
    let mut out = Vec::new();
    run_script(
        &in_process,
        README_SCRIPT.as_bytes(),
        &mut out,
        &ScriptOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(mask(&String::from_utf8(out).unwrap()), want);
}

#[tokio::test]
async fn script_deadlines_reach_the_plugin() {
    let d = Arc::new(TestDispatcher::default());
    let plugin = connect(d.clone());
    let script = "{\"call\":\"entity\",\"deadline_ms\":60000}\n{\"call\":\"entity\"}\n{\"call\":\"entity\",\"deadline_ms\":1.5}\n";
    let mut out = Vec::new();
    let opts = ScriptOptions {
        default_deadline: Some(std::time::Duration::from_secs(3600)),
    };
    run_script(&plugin, script.as_bytes(), &mut out, &opts)
        .await
        .unwrap();
    let lines: Vec<_> = std::str::from_utf8(&out).unwrap().lines().collect();
    assert_eq!(
        lines[2],
        r#"{"error":"json: cannot unmarshal number 1.5 into Go struct field request.deadline_ms of type int64"}"#
    );
    let seen = d.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let first = seen[0].1.remaining().unwrap().as_secs();
    let second = seen[1].1.remaining().unwrap().as_secs();
    assert!((55..=60).contains(&first), "{first}");
    assert!((3595..=3600).contains(&second), "{second}");
}

#[test]
fn serde_uses_go_json_tags() {
    let e = test_entity();
    let j = serde_json::to_value(&e).unwrap();
    assert_eq!(
        j,
        serde_json::json!({"id":"abcd","records":[{"id":"12345","data":{"foo":"bar"}}],
            "edges":["12345:12345:STATIC"],"duplicates":{"12345":["12345","duplicateID"]},
            "hits":{"12345":["someRuleName"]}})
    );
    let back: Entity = serde_json::from_value(j).unwrap();
    assert_eq!(back, e);
    let d: DisassembleInput = serde_json::from_str(
        r#"{"reference":"r","recordIDs":null,"createConnectionBan":true,"meta":{"user":"u"},"timeout":5}"#,
    )
    .unwrap();
    assert_eq!(d.timeout, Some(5));
    assert!(d.record_ids.is_empty());
    assert_eq!(
        serde_json::to_string(&SearchOutput::default()).unwrap(),
        r#"{"entities":null}"#
    );
}

/// A dispatcher that keeps the last 3 records of a submit and remembers what it was handed.
#[derive(Default)]
struct TailKeeper {
    got: Mutex<Vec<(Vec<String>, usize, CallContext)>>,
}

impl Dispatcher for TailKeeper {
    const SUBMIT_KEEPS_LAST: Option<usize> = Some(3);

    async fn entity(&self, _: CallContext, _: EntityInput) -> Result<EntityOutput, DispatchError> {
        Err("no".into())
    }
    async fn submit(&self, _: CallContext, _: SubmitInput) -> Result<SubmitOutput, DispatchError> {
        Err("the server must call submit_tail".into())
    }
    async fn submit_tail(
        &self,
        call: CallContext,
        input: SubmitInput,
        sent: usize,
    ) -> Result<SubmitOutput, DispatchError> {
        let ids = input.records.into_iter().map(|r| r.id).collect();
        self.got.lock().unwrap().push((ids, sent, call));
        Ok(SubmitOutput {
            records_added: sent as i64,
        })
    }
    refuse!(
        search(SearchInput) -> SearchOutput,
        disassemble(DisassembleInput) -> DisassembleOutput,
        remove_connection_ban(RemoveConnectionBanInput) -> (),
    );
}

#[tokio::test]
async fn submit_streams_records_when_the_dispatcher_keeps_only_the_last() {
    let keeper = Arc::new(TailKeeper::default());
    let client = raw_client(keeper.clone());
    let submit = |n: usize| SubmitInput {
        records: (0..n).map(odd_record).collect(),
    };
    let deadline = GoTime::from_unix(1_700_000_000, 5);
    let mut args = InterfaceMap::new();
    args.insert("deadline".into(), Interface::from_concrete(deadline));
    args.insert("input".into(), Interface::from_concrete(submit(25)));
    let out: SubmitOutput = client.call("Plugin.Submit", &args).await.unwrap();
    assert_eq!(out.records_added, 25);
    let got = keeper.got.lock().unwrap().clone();
    assert_eq!(
        got,
        vec![(
            vec!["22".to_string(), "23".into(), "24".into()],
            25,
            CallContext::with_deadline(deadline)
        )]
    );

    // A name Go never registered, in a record the ring drops, still fails the whole call;
    // as in Go, the stream serves on (a fresh one per case all the same): the name's message
    // is the records' last.
    let mut bad = submit(25);
    bad.records[5]
        .data
        .get_or_insert_with(InterfaceMap::new)
        .insert("k".into(), Interface::new("main.Secret", Value::Int(1)));
    let mut args = InterfaceMap::new();
    args.insert("input".into(), Interface::from_concrete(bad));
    let refused = |args: InterfaceMap| async move {
        let client = raw_client(Arc::new(TailKeeper::default()));
        let text = raw_error(&client, "Submit", &args).await;
        assert_open(&client).await;
        text
    };
    assert_eq!(
        refused(args.clone()).await,
        "gob: name not registered for interface: \"main.Secret\""
    );
    // Go's decoder stops at the first unregistered name in wire order (our encoder writes
    // the keys in order): a later key's name is not reached...
    args.insert("meta".into(), Interface::new("main.Later", Value::Int(2)));
    assert_eq!(
        refused(args.clone()).await,
        "gob: name not registered for interface: \"main.Secret\""
    );
    // ...an earlier key's is, at once: in the message that also carries the submit input's
    // name and its first definition (Go's encoder flushes the value so far with it). Go drops
    // the rest of that message, so the next message (the records, of a type it never got)
    // cannot be read as a request and the stream closes after the answer, as Go's does.
    args.insert("aaa".into(), Interface::new("main.Earlier", Value::Int(3)));
    let fresh = raw_client(Arc::new(TailKeeper::default()));
    assert_eq!(
        raw_error(&fresh, "Submit", &args).await,
        "gob: name not registered for interface: \"main.Earlier\""
    );
    let next = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        fresh.call::<_, Interface>("Plugin.Entity", &InterfaceMap::new()),
    )
    .await
    .expect("the next call must end, not hang");
    assert!(
        next.as_ref().is_err_and(|e| e.is_connection_error()),
        "expected the stream closed, got {next:?}"
    );
    // An input of another type gets Go's text; fewer records than kept are all handed over.
    let mut args = InterfaceMap::new();
    args.insert(
        "input".into(),
        Interface::from_concrete(EntityInput { id: "x".into() }),
    );
    assert_eq!(
        raw_error(&client, "Submit", &args).await,
        "key records is not a *SubmitInput but a *dispatcher.EntityInput"
    );
    args.insert("input".into(), Interface::from_concrete(submit(2)));
    let out: SubmitOutput = client.call("Plugin.Submit", &args).await.unwrap();
    assert_eq!(out.records_added, 2);
    assert_eq!(keeper.got.lock().unwrap().len(), 2);
    assert_eq!(keeper.got.lock().unwrap()[1].0, vec!["0", "1"]);
}

#[tokio::test]
async fn fake_ring_is_the_same_whether_records_are_streamed_or_not() {
    let direct = FakeDispatcher::new();
    let over_wire = connect(Arc::new(FakeDispatcher::new()));
    for n in [3, 25, 7] {
        let input = SubmitInput {
            records: (0..n).map(odd_record).collect(),
        };
        let a = direct
            .submit(CallContext::background(), input.clone())
            .await
            .unwrap();
        let b = over_wire
            .submit(CallContext::background(), input)
            .await
            .unwrap();
        assert_eq!(a, b);
        let entity = |out: EntityOutput| -> Vec<String> {
            out.entity
                .unwrap()
                .records
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        let want = entity(
            direct
                .entity(CallContext::background(), EntityInput { id: "e".into() })
                .await
                .unwrap(),
        );
        let got = entity(
            over_wire
                .entity(CallContext::background(), EntityInput { id: "e".into() })
                .await
                .unwrap(),
        );
        assert_eq!(got, want, "after submitting {n}");
    }
}

/// The method table's test-only `echo` entry (plus its two types) is all it takes: the trait
/// method, the client, the net/rpc server, the script runner and the method list derive from
/// it, and a dispatcher that does not implement it (the fake) still compiles and answers
/// what a Go plugin without the method answers.
#[tokio::test]
async fn a_method_declared_once_is_served_and_called_end_to_end() {
    let d = Arc::new(TestDispatcher::default());
    let plugin = connect(d.clone());
    let call = CallContext::with_timeout(std::time::Duration::from_secs(5));
    let out = plugin
        .echo(call, EchoInput { text: "abc".into() })
        .await
        .unwrap();
    assert_eq!(out.text, "cba");
    let seen = d.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "echo");
    assert_eq!(
        seen[0].1.deadline, call.deadline,
        "the deadline crossed the wire"
    );

    let line = run_line(
        &plugin,
        br#"{"call":"echo","input":{"text":"xyz"}}"#,
        &ScriptOptions::default(),
    )
    .await;
    assert_eq!(
        String::from_utf8(line).unwrap(),
        r#"{"output":{"text":"zyx"}}"#
    );

    let fake = connect(Arc::new(FakeDispatcher::new()));
    let err = fake
        .echo(CallContext::background(), EchoInput::default())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "rpc: can't find method Plugin.Echo");
    let direct = FakeDispatcher::new()
        .echo(CallContext::background(), EchoInput::default())
        .await
        .unwrap_err();
    assert!(
        matches!(direct, DispatchError::Unimplemented("Echo")),
        "{direct:?}"
    );

    let echo = methods().into_iter().find(|m| m.name == "echo").unwrap();
    assert_eq!((echo.go, echo.script, echo.http), ("Echo", "echo", "/echo"));
}

/// The same entry over TiloRes' HTTP plugin protocol: the provider serves `/echo` and the
/// host calls it, both derived from the table; a dispatcher without the method answers
/// `404 "invalid method /echo"`, as Go's provider answers a path it does not know.
#[tokio::test]
async fn a_method_declared_once_is_served_and_called_over_http() {
    use super::http::{serve_http, HttpClientConfig, HttpDispatcherClient, HttpServerConfig};
    let dir = TempDir::new("disp-echo-http");
    let test_socket = dir.path().join("test.sock");
    let fake_socket = dir.path().join("fake.sock");
    let d = Arc::new(TestDispatcher::default());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let test_server = tokio::spawn(serve_http(
        d.clone(),
        tokio::net::UnixListener::bind(&test_socket).unwrap(),
        HttpServerConfig::default(),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let fake_server = tokio::spawn(serve_http(
        Arc::new(FakeDispatcher::new()),
        tokio::net::UnixListener::bind(&fake_socket).unwrap(),
        HttpServerConfig::default(),
        std::future::pending(),
    ));
    let client = |socket: &std::path::Path| {
        HttpDispatcherClient::attach(HttpClientConfig {
            socket: socket.to_path_buf(),
            timeout: std::time::Duration::from_secs(10),
            ..HttpClientConfig::default()
        })
    };

    let plugin = client(&test_socket);
    let call = CallContext::with_timeout(std::time::Duration::from_secs(5));
    let out = plugin
        .echo(call, EchoInput { text: "abc".into() })
        .await
        .unwrap();
    assert_eq!(out.text, "cba");
    let seen = d.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "echo");
    // RFC 3339 carries the deadline to the nanosecond, with its zone.
    assert_eq!(seen[0].1.deadline, call.deadline, "the deadline crossed");
    let (status, body) = plugin
        .call_raw(
            "/echo",
            br#"{"Context":{"Deadline":null},"Payload":{"text":"<x>"}}"#.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(&body[..], &b"{\"text\":\"\\u003ex\\u003c\"}\n"[..]);
    let line = run_line(
        &plugin,
        br#"{"call":"echo","input":{"text":"xyz"}}"#,
        &ScriptOptions::default(),
    )
    .await;
    assert_eq!(
        String::from_utf8(line).unwrap(),
        r#"{"output":{"text":"zyx"}}"#
    );

    let fake = client(&fake_socket);
    let err = fake
        .echo(CallContext::background(), EchoInput::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DispatchError::Failed(t) if t == "invalid method /echo"),
        "{err:?}"
    );
    let (status, body) = fake
        .call_raw("/echo", br#"{"Payload":{}}"#.to_vec())
        .await
        .unwrap();
    assert_eq!(
        (status.as_u16(), &body[..]),
        (404, &b"\"invalid method /echo\"\n"[..])
    );
    // The fake's other methods still answer.
    let out = fake
        .entity(CallContext::background(), EntityInput { id: "e1".into() })
        .await
        .unwrap();
    assert_eq!(out.entity.unwrap().id, "e1");

    let _ = stop_tx.send(());
    tokio::time::timeout(std::time::Duration::from_secs(5), test_server)
        .await
        .expect("the server stops")
        .unwrap();
    fake_server.abort();
}

/// tilores-plugin-api v0.2.0 and v0.3.0 calls (`id`, `records`, `parameters`; replies
/// `api.Entity`, `SubmissionResult`, `[]*api.Entity`; no deadline) against the same server.
#[tokio::test]
async fn legacy_api_versions_are_told_from_the_arguments() {
    for api in [ApiVersion::V0_2_0, ApiVersion::V0_3_0] {
        let d = Arc::new(FakeDispatcher::new());
        let rpc = raw_client(d);
        let legacy = DispatcherClient::with_api(rpc.clone(), api);
        let current = DispatcherClient::new(rpc);
        let bg = CallContext::background();
        let out = legacy
            .search(bg, search_for(vec![("isOdd", Interface::from(true))]))
            .await
            .unwrap();
        assert!(out.entities.is_empty(), "{api}");
        let added = legacy
            .submit(
                bg,
                SubmitInput {
                    records: (1..=3).map(odd_record).collect(),
                },
            )
            .await
            .unwrap();
        assert_eq!(added.records_added, 3);
        let e = legacy
            .entity(bg, EntityInput { id: "e1".into() })
            .await
            .unwrap()
            .entity
            .unwrap();
        assert_eq!(e.id, "e1");
        assert_eq!(e.records.len(), 3);
        // The same state as a v0.6.0 caller sees.
        let e6 = current
            .entity(bg, EntityInput { id: "e1".into() })
            .await
            .unwrap()
            .entity
            .unwrap();
        assert_eq!(e.records, e6.records);
        let found = legacy
            .search(bg, search_for(vec![("isOdd", Interface::from(true))]))
            .await
            .unwrap();
        assert_eq!(found.entities.len(), 1, "{api}");
        let ids: Vec<_> = found.entities[0]
            .records
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["1", "3"]);
    }

    // Legacy hosts send no deadline even when their context has one.
    let d = Arc::new(TestDispatcher::default());
    let legacy = DispatcherClient::with_api(raw_client(d.clone()), ApiVersion::V0_2_0);
    let call = CallContext::with_timeout(std::time::Duration::from_secs(5));
    legacy
        .entity(call, EntityInput { id: "x".into() })
        .await
        .unwrap();
    assert_eq!(d.seen.lock().unwrap()[0].1, CallContext::background());

    // Go's texts for legacy arguments of the wrong type.
    let client = raw_client(Arc::new(TestDispatcher::default()));
    let one = |k: &str, v: Interface| -> InterfaceMap { [(k.into(), v)].into_iter().collect() };
    assert_eq!(
        raw_error(&client, "Entity", &one("id", Interface::from(1.5))).await,
        "key id is not a string but a float64"
    );
    assert_eq!(
        raw_error(&client, "Submit", &one("records", Interface::from("r"))).await,
        "key records is not a records list but a string"
    );
    assert_eq!(
        raw_error(&client, "Search", &one("parameters", Interface::from(true))).await,
        "key parameters is not a *api.SearchParameters but a bool"
    );
    // v0.3.0 without parameters cannot be sent (Go's gob refuses a nil pointer).
    let v3 = DispatcherClient::with_api(client, ApiVersion::V0_3_0);
    let err = v3
        .search(CallContext::background(), SearchInput::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "gob: gob: cannot encode nil pointer of type *api.SearchParameters inside interface"
    );
}

#[test]
fn api_versions_parse_and_print() {
    for v in ApiVersion::ALL {
        assert_eq!(v.to_string().parse::<ApiVersion>().unwrap(), v);
        assert_eq!(v.as_str()[1..].parse::<ApiVersion>().unwrap(), v);
    }
    assert_eq!(ApiVersion::default(), ApiVersion::V0_6_0);
    assert!("v0.4.0".parse::<ApiVersion>().is_err());
    assert!(ApiVersion::V0_3_0.is_legacy() && !ApiVersion::V0_5_0.is_legacy());
}

/// v0.5.0 carries search hits in `SearchOutput.Hits`, v0.6.0 in each entity: the reply holds
/// both, and a v0.5.0-shaped reply's hits go to the entities holding their records.
#[test]
fn search_hits_travel_in_both_shapes() {
    use super::types::SearchReply;
    let entity = |id: &str, records: &[&str]| Entity {
        id: id.into(),
        records: records
            .iter()
            .map(|r| Record {
                id: r.to_string(),
                data: None,
            })
            .collect(),
        ..Entity::default()
    };
    let hits = |pairs: &[(&str, &str)]| {
        Hits(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                .collect(),
        )
    };
    let v5 = SearchReply {
        entities: vec![entity("a", &["1", "2"]), entity("b", &["3"])],
        hits: Some(hits(&[("1", "r"), ("3", "s")])),
    };
    let out = SearchOutput::from(v5);
    assert_eq!(out.entities[0].hits, Some(hits(&[("1", "r")])));
    assert_eq!(out.entities[1].hits, Some(hits(&[("3", "s")])));
    let back = SearchReply::from(out.clone());
    assert_eq!(back.hits, Some(hits(&[("1", "r"), ("3", "s")])));
    // A v0.6.0 reply keeps its entities' hits; no hits anywhere sends no `Hits`.
    assert_eq!(SearchOutput::from(back), out);
    let none = SearchReply::from(SearchOutput {
        entities: vec![entity("a", &["1"])],
    });
    assert_eq!(none.hits, None);
}

/// Every method of the table is routed by the script runner and served by the net/rpc server
/// (what the table generates cannot drift from what it lists).
#[tokio::test]
async fn every_method_of_the_table_is_routed_and_served() {
    let rpc = raw_client(Arc::new(TestDispatcher::default()));
    let client = DispatcherClient::new(rpc.clone());
    let all = methods();
    assert!(all.len() >= 5, "{all:?}");
    for m in all {
        let line = format!(r#"{{"call":"{}"}}"#, m.script);
        let out =
            String::from_utf8(run_line(&client, line.as_bytes(), &ScriptOptions::default()).await)
                .unwrap();
        assert!(!out.contains("unknown call"), "{}: {out}", m.name);
        assert!(!out.contains("can't find method"), "{}: {out}", m.name);
        assert_eq!(
            raw_error(&rpc, m.go, &InterfaceMap::new()).await,
            "key input not found in args",
            "{}",
            m.name
        );
        assert_eq!(
            m.http,
            format!("/{}", m.script.to_lowercase()),
            "{}",
            m.name
        );
    }
}
