//! Capturing `tracing` events in a test, reliably while other tests run on other threads.

use std::sync::Once;

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{DefaultGuard, Interest, Subscriber};
use tracing::{Event, Metadata};

/// Makes `subscriber` this thread's default until the guard drops, after making sure that no
/// callsite can be cached as disabled for every thread.
///
/// tracing-core caches each callsite's interest process-wide. While exactly one dispatcher is
/// registered it asks the default of whichever thread reaches the callsite first
/// (tokio-rs/tracing#3611): a test thread without a subscriber that logs a `warn!` first
/// disables that `warn!` everywhere, and a capturing test on another thread silently loses the
/// event. A global default that is interested in everything (and keeps nothing) keeps every
/// callsite enabled; events still go to each thread's own default.
pub fn scoped_subscriber(subscriber: impl Subscriber + Send + Sync + 'static) -> DefaultGuard {
    static ENABLE_ALL: Once = Once::new();
    ENABLE_ALL.call_once(|| {
        // Fails only if the process already has a global default, which serves as well.
        let _ = tracing::subscriber::set_global_default(EnableAll);
    });
    tracing::subscriber::set_default(subscriber)
}

/// Interested in every callsite, keeps nothing.
struct EnableAll;

impl Subscriber for EnableAll {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts the events it is given.
    struct Count(Arc<AtomicUsize>);

    impl Subscriber for Count {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, _: &Event<'_>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn log_once() {
        tracing::warn!("reached");
    }

    /// The scenario of tracing#3611: the capturing dispatcher is the only one registered, and
    /// a thread without a subscriber reaches the callsite first. With a plain `set_default`
    /// the capture sees nothing (this binary has no other test that uses tracing).
    #[test]
    fn capture_sees_an_event_another_thread_reached_first() {
        let seen = Arc::new(AtomicUsize::new(0));
        let _guard = scoped_subscriber(Count(seen.clone()));
        std::thread::spawn(log_once).join().expect("logging thread");
        assert_eq!(seen.load(Ordering::SeqCst), 0, "the other thread's event");
        log_once();
        assert_eq!(seen.load(Ordering::SeqCst), 1, "this thread's event");
    }
}
