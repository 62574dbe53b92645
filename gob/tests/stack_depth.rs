//! The default depth limit is reached before the stack runs out: the deepest Go vectors decode
//! (to their typed depth error) on a 2 MiB thread, the default test-thread stack, even in
//! unoptimised builds.

use gob::{Decoder, ErrorKind, Value};
use tilores_plugin_test_support::gob_vector as vector;

fn on_small_stack(name: &'static str) -> gob::Error {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            Decoder::new()
                .decode_all::<Value>(&vector(name))
                .expect_err("deeper than the default limit")
        })
        .expect("spawn")
        .join()
        .expect("decoding must not overflow a 2 MiB stack")
}

#[test]
fn deep_linked_list_hits_the_limit_on_a_2mib_stack() {
    let e = on_small_stack("deep_linked_list");
    assert!(
        matches!(e.kind(), ErrorKind::DepthLimitExceeded(256)),
        "{e}"
    );
}

#[test]
fn deep_nested_interfaces_hit_the_limit_on_a_2mib_stack() {
    let e = on_small_stack("deep_nested_iface");
    assert!(
        matches!(e.kind(), ErrorKind::DepthLimitExceeded(256)),
        "{e}"
    );
}

/// Go's `RT{A string; Next *RT}`.
#[derive(gob::Gob, Debug, Default)]
#[gob(go_type = "main.RT")]
struct Rt {
    #[gob(name = "A")]
    a: String,
    #[gob(name = "Next")]
    next: Option<Box<Rt>>,
}

#[test]
fn deep_linked_list_typed_hits_the_limit_on_a_2mib_stack() {
    let e = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            Decoder::new()
                .decode_all::<Rt>(&vector("deep_linked_list"))
                .expect_err("deeper than the default limit")
        })
        .expect("spawn")
        .join()
        .expect("typed decoding must not overflow a 2 MiB stack");
    assert!(
        matches!(e.kind(), ErrorKind::DepthLimitExceeded(256)),
        "{e}"
    );
}
