//! Child processes: killed on drop, run to completion with input, and pid probes.

use std::path::Path;
use std::time::Duration;

/// A child process that is killed and reaped when dropped.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether a process with this pid exists and may be signalled (`kill(pid, 0)`); a zombie
/// counts as alive. (The library's own pid helpers are internal.)
pub fn pid_alive(pid: u32) -> bool {
    match i32::try_from(pid) {
        Ok(p) if p > 0 => nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok(),
        _ => false,
    }
}

/// Whether the process still runs: [`pid_alive`] and not a zombie (`/proc/<pid>/stat`).
pub fn pid_running(pid: u32) -> bool {
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rfind(')')
                .and_then(|i| s[i + 1..].split_whitespace().next().map(|st| st == "Z"))
        })
        .unwrap_or(false);
    pid_alive(pid) && !zombie
}

/// Runs `program args` with extra environment `env` and `stdin`; returns stdout and stderr.
/// Panics on a non-zero exit (with stderr) or after 120 s.
pub async fn run_with_stdin(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> (String, String) {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.as_bytes().to_vec();
    let writer = tokio::spawn(async move {
        let _ = input.write_all(&data).await;
    });
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("finished within 120 s")
        .expect("wait");
    let _ = writer.await;
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).expect("utf-8 output"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `command` (stdout piped; stderr as the caller set it, inherited if not) with `stdin`
/// written from a thread of its own (so a child that answers before it has read everything
/// cannot block on a full pipe) and returns its output, whatever the exit status. The
/// blocking sibling of [`run_with_stdin`] for synchronous tests, which bound it with
/// [`limit_sync`](crate::limit_sync).
pub fn run_command_with_stdin(
    command: &mut std::process::Command,
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}
