//! Session role and configuration, and their translation into a `yamux::Config`.
//!
//! The defaults are the go-plugin interop settings of yamux-crate-interop.md A.5.
//! Each workaround is a plain field so the interop tests can switch one off and
//! show the failure it prevents.

use std::time::Duration;

use super::MuxError;

/// Size of a yamux stream window (`yamux::DEFAULT_CREDIT`, hashicorp's
/// `initialStreamWindow`): 256 KiB.
const STREAM_WINDOW: usize = 256 * 1024;

/// Receive-window growth allowed beyond the pinned 256 KiB per stream, shared by all streams
/// of a session: 1 MiB (rust-yamux's largest accepted frame) minus the initial window.
const WINDOW_GROWTH: usize = 1024 * 1024 - STREAM_WINDOW;

/// Default [`MuxConfig::max_num_streams`]: 64 streams per connection (go-plugin uses
/// three plus one per dispensed plugin and broker connection).
pub const DEFAULT_MAX_NUM_STREAMS: usize = 64;

/// Which end of the go-plugin connection this session is.
///
/// Decides the yamux mode and so the stream-id parity, which rust-yamux checks
/// on every inbound SYN (Go does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The go-plugin host: dials the plugin's socket, opens odd stream ids.
    Client,
    /// The plugin: accepts the host's connection, opens even stream ids.
    Server,
}

impl Role {
    /// The yamux crate's name for this role.
    pub(crate) fn mode(self) -> yamux::Mode {
        match self {
            Role::Client => yamux::Mode::Client,
            Role::Server => yamux::Mode::Server,
        }
    }
}

/// Settings of a [`Session`](super::Session).
///
/// `MuxConfig::default()` is what production code uses. The `bool` switches
/// and `split_send_size` exist so regression tests can remove one workaround at
/// a time; nothing else should turn them off.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MuxConfig {
    /// Most streams the connection may hold (opened by either side).
    ///
    /// rust-yamux fails the whole connection when this is exceeded, by an
    /// inbound SYN (Go would only reset that stream) or by our own open. So
    /// [`Session::open`](super::Session::open) counts live [`Stream`](super::Stream)s
    /// and refuses with [`MuxError::TooManyStreams`] first. yamux forgets a
    /// dropped stream only when the driver next polls the connection, which
    /// the driver does before opening; only a stream dropped in the middle of
    /// that pass can still be counted by yamux and fail the connection.
    /// go-plugin uses a handful of streams per connection.
    ///
    /// It also bounds the memory a peer can fill: every stream may receive its
    /// 256 KiB window before anyone reads it (rust-yamux sizes the connection's
    /// receive budget as streams × 256 KiB), so a connection buffers at most
    /// `max_num_streams` × 256 KiB + 768 KiB: 16.75 MiB with the default 64.
    /// (With 512, a host parking 500 streams of 256 KiB with the broker took a
    /// provider to 133 MiB per connection.)
    pub max_num_streams: usize,
    /// Largest data frame payload we send. 64 KiB stays well below Go's fixed
    /// 256 KiB window and gives about +45 % Rust→Go bulk throughput over the
    /// crate's 16 KiB default (A.4). Purely a performance setting.
    pub split_send_size: usize,
    /// Capacity of the socket's write buffer (`buffered_socket`): frames are
    /// collected up to this size and written together. Must hold a whole frame
    /// (header + `split_send_size`) so a frame is never split over writes
    /// needlessly.
    pub write_buffer_capacity: usize,
    /// Capacity of the socket's read buffer (`buffered_socket`): one read
    /// takes in every frame that has arrived, up to this size.
    pub read_buffer_capacity: usize,
    /// Inbound streams held for [`Session::accept`](super::Session::accept)
    /// before further ones are reset, like Go's `AcceptBacklog` (256).
    pub accept_backlog: usize,
    /// How long [`Session::close`](super::Session::close) may spend flushing
    /// queued frames before the socket is dropped anyway.
    pub close_timeout: Duration,
    /// Send the SYN of an opened stream at once (a zero-length data frame).
    ///
    /// rust-yamux otherwise sends it with the stream's first frame, so a Go
    /// plugin accepts go-plugin's control/stdout/stderr in first-write order,
    /// or never (A.2 "When SYN is sent").
    pub eager_syn: bool,
    /// ACK an inbound stream as soon as it arrives (a zero-length data frame).
    ///
    /// rust-yamux otherwise ACKs with the stream's first frame; Go closes the
    /// whole session when a stream it opened stays un-ACKed for
    /// `StreamOpenTimeout` (75 s), which kills idle stdout/stderr streams
    /// (A.2 "When ACK is sent").
    pub eager_ack: bool,
    /// Cap stream receive windows: 256 KiB each, plus 768 KiB of growth shared
    /// by the session, so no window exceeds 1 MiB.
    ///
    /// Unbounded, rust-yamux auto-tunes windows beyond 1 MiB, Go then sends
    /// frames as big as the window and rust-yamux rejects any frame over 1 MiB
    /// with `FrameTooLarge`, failing the connection (A.2 "Frame size on
    /// receive"). The growth up to 1 MiB lets a busy stream (many concurrent
    /// replies) keep the sender going between window updates.
    pub pinned_windows: bool,
    /// Put read and write buffers between yamux and the socket, and write
    /// once per driver pass instead of once per frame.
    ///
    /// Without it rust-yamux issues two reads per frame (header, body) and
    /// one write per frame, and a frame's header and body may leave in two
    /// writes (A.4). With it, all frames that arrived are read at once and all
    /// frames queued in one pass leave together. Purely a performance setting.
    pub buffered_socket: bool,
    /// Poll the yamux connection all the time from the driver task.
    ///
    /// All socket I/O of rust-yamux (reading frames, writing queued frames,
    /// answering pings, processing window updates) happens while the
    /// connection is polled for inbound streams. With `false` the driver
    /// polls it only while someone waits in `accept`, which is what a naive
    /// "poll the connection when you want a stream" integration does; it
    /// exists only to demonstrate that failure (A.5, "Driver").
    pub drive_continuously: bool,
}

impl Default for MuxConfig {
    fn default() -> Self {
        MuxConfig {
            max_num_streams: DEFAULT_MAX_NUM_STREAMS,
            split_send_size: 64 * 1024,
            write_buffer_capacity: 128 * 1024,
            read_buffer_capacity: 64 * 1024,
            accept_backlog: 256,
            close_timeout: Duration::from_secs(5),
            eager_syn: true,
            eager_ack: true,
            pinned_windows: true,
            buffered_socket: true,
            drive_continuously: true,
        }
    }
}

/// Bytes of a yamux frame header.
const HEADER_SIZE: usize = 12;

/// Receive budget rust-yamux uses when windows are not pinned (its default).
const UNPINNED_CONNECTION_WINDOW: usize = 1024 * 1024 * 1024;

impl MuxConfig {
    /// Checks the settings and builds the yamux configuration.
    ///
    /// `yamux::Config`'s setters panic on inconsistent values, so everything is
    /// validated here first and the setters are called in an order in which
    /// each intermediate state satisfies the crate's invariant
    /// (`connection window >= max_num_streams × 256 KiB`).
    pub(crate) fn to_yamux(&self) -> Result<yamux::Config, MuxError> {
        if self.max_num_streams == 0 {
            return Err(MuxError::InvalidConfig(
                "max_num_streams must be at least 1",
            ));
        }
        let pinned = self
            .max_num_streams
            .checked_mul(STREAM_WINDOW)
            .ok_or(MuxError::InvalidConfig("max_num_streams is too large"))?;
        if self.split_send_size == 0 {
            return Err(MuxError::InvalidConfig(
                "split_send_size must be at least 1",
            ));
        }
        if self.buffered_socket && self.write_buffer_capacity < self.split_send_size + HEADER_SIZE {
            return Err(MuxError::InvalidConfig(
                "write_buffer_capacity must hold a frame header plus split_send_size",
            ));
        }
        if self.accept_backlog == 0 {
            return Err(MuxError::InvalidConfig("accept_backlog must be at least 1"));
        }

        let window = if self.pinned_windows {
            // Each stream keeps its 256 KiB; on top, 768 KiB of shared growth, so auto-tuning
            // can take one stream to at most 1 MiB: the largest data frame rust-yamux accepts,
            // and Go sends frames as large as the window it was granted. (Measured: the
            // dispatcher Entity bench at 64 callers, 10k -> 14.5k calls/s, Rust <-> Rust.)
            pinned + WINDOW_GROWTH
        } else {
            pinned.max(UNPINNED_CONNECTION_WINDOW)
        };
        let mut cfg = yamux::Config::default();
        cfg.set_max_connection_receive_window(None)
            .set_max_num_streams(self.max_num_streams)
            .set_max_connection_receive_window(Some(window))
            .set_split_send_size(self.split_send_size)
            .set_read_after_close(true);
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_accepted() {
        assert!(MuxConfig::default().to_yamux().is_ok());
    }

    #[test]
    fn any_stream_count_builds_without_panicking() {
        for n in [1, 100, 511, 512, 513, 5000] {
            for pinned_windows in [true, false] {
                let cfg = MuxConfig {
                    max_num_streams: n,
                    pinned_windows,
                    ..MuxConfig::default()
                };
                assert!(cfg.to_yamux().is_ok(), "n={n} pinned={pinned_windows}");
            }
        }
    }

    #[test]
    fn invalid_values_are_errors() {
        let bad = [
            MuxConfig {
                max_num_streams: 0,
                ..MuxConfig::default()
            },
            MuxConfig {
                max_num_streams: usize::MAX,
                ..MuxConfig::default()
            },
            MuxConfig {
                split_send_size: 0,
                ..MuxConfig::default()
            },
            MuxConfig {
                write_buffer_capacity: 64 * 1024,
                ..MuxConfig::default()
            },
            MuxConfig {
                accept_backlog: 0,
                ..MuxConfig::default()
            },
        ];
        for cfg in bad {
            assert!(
                matches!(cfg.to_yamux(), Err(MuxError::InvalidConfig(_))),
                "{cfg:?}"
            );
        }
    }
}
