//! A sandbox's log: the runtime's stdout and stderr (one pipe, so their order is kept), split
//! into lines, sent to CloudWatch Logs through the [`LogSink`] in batches, and copied into
//! the per-invocation tail that `LogType: Tail` returns.
//!
//! Memory is bounded whatever the function prints: a line longer than [`MAX_LINE`] is cut
//! (with a marker), and while more than [`MAX_PENDING`] bytes wait for the sink, new lines
//! are dropped and counted; one marker event then says how many were lost.

use lamina_bus::{LogEvent, LogSink, LogStreamRef};
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::unix::pipe;
use tokio::sync::Notify;

/// CloudWatch's largest event is 256 KB (262,144 bytes minus 26 of overhead).
pub(crate) const MAX_LINE: usize = 256 * 1024 - 26;
/// Bytes that may wait for the sink before lines are dropped.
pub(crate) const MAX_PENDING: usize = 8 * 1024 * 1024;
/// `LogType: Tail` returns the last 4 KB.
pub(crate) const TAIL_BYTES: usize = 4096;
/// A batch given to the sink at once (PutLogEvents allows 1 MB / 10,000 events).
const BATCH_BYTES: usize = 1024 * 1024;
const BATCH_EVENTS: usize = 10_000;
const TRUNCATED: &str = " [lamina: line truncated at 256 KB]";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // a panic while holding one of these locks leaves plain data behind; keep going
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default)]
struct Pending {
    events: Vec<LogEvent>,
    bytes: usize,
    dropped_lines: u64,
    dropped_bytes: u64,
}

#[derive(Default)]
struct Tail {
    on: bool,
    lines: VecDeque<String>,
    bytes: usize,
}

/// The log of one sandbox.
pub(crate) struct SandboxLog {
    pub(crate) stream: LogStreamRef,
    pending: Mutex<Pending>,
    tail: Mutex<Tail>,
    wake: Notify,
}

impl SandboxLog {
    pub(crate) fn new(stream: LogStreamRef) -> Arc<Self> {
        Arc::new(Self {
            stream,
            pending: Mutex::default(),
            tail: Mutex::default(),
            wake: Notify::new(),
        })
    }

    /// Adds one line (without its newline).
    pub(crate) fn line(&self, text: &str) {
        let mut msg = if text.len() > MAX_LINE {
            let mut cut = MAX_LINE - TRUNCATED.len();
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let mut s = text[..cut].to_string();
            s.push_str(TRUNCATED);
            s
        } else {
            text.to_string()
        };
        if msg.ends_with('\r') {
            msg.pop();
        }
        {
            let mut t = lock(&self.tail);
            if t.on {
                t.bytes += msg.len() + 1;
                t.lines.push_back(msg.clone());
                while t.bytes > TAIL_BYTES * 2 && t.lines.len() > 1 {
                    if let Some(old) = t.lines.pop_front() {
                        t.bytes -= old.len() + 1;
                    }
                }
            }
        }
        let mut p = lock(&self.pending);
        if p.bytes + msg.len() > MAX_PENDING {
            p.dropped_lines += 1;
            p.dropped_bytes += msg.len() as u64;
            drop(p);
            self.wake.notify_one();
            return;
        }
        p.bytes += msg.len() + 26;
        p.events.push(LogEvent {
            timestamp: lamina_core::now_epoch_millis() as i64,
            message: msg,
        });
        let big = p.bytes >= BATCH_BYTES;
        drop(p);
        if big {
            self.wake.notify_one();
        }
    }

    /// Starts collecting the tail of an invocation.
    pub(crate) fn start_tail(&self) {
        let mut t = lock(&self.tail);
        *t = Tail {
            on: true,
            ..Tail::default()
        };
    }

    /// Stops collecting and returns the last 4 KB (cut on a character boundary).
    pub(crate) fn take_tail(&self) -> String {
        let mut t = lock(&self.tail);
        let lines = std::mem::take(&mut t.lines);
        *t = Tail::default();
        drop(t);
        let mut all = String::new();
        for l in lines {
            all.push_str(&l);
            all.push('\n');
        }
        if all.len() > TAIL_BYTES {
            let mut cut = all.len() - TAIL_BYTES;
            while !all.is_char_boundary(cut) {
                cut += 1;
            }
            all.drain(..cut);
        }
        all
    }

    /// Takes what waits for the sink, in batches the sink accepts.
    fn take_batches(&self) -> Vec<Vec<LogEvent>> {
        let mut p = lock(&self.pending);
        let mut events = std::mem::take(&mut p.events);
        p.bytes = 0;
        if p.dropped_lines > 0 {
            events.push(LogEvent {
                timestamp: lamina_core::now_epoch_millis() as i64,
                message: format!(
                    "[lamina] {} log lines ({} bytes) were dropped: the function logged faster than \
                     they could be stored",
                    p.dropped_lines, p.dropped_bytes
                ),
            });
            p.dropped_lines = 0;
            p.dropped_bytes = 0;
        }
        drop(p);
        let mut batches = Vec::new();
        let mut cur = Vec::new();
        let mut size = 0;
        for e in events {
            if !cur.is_empty()
                && (size + e.message.len() + 26 > BATCH_BYTES || cur.len() >= BATCH_EVENTS)
            {
                batches.push(std::mem::take(&mut cur));
                size = 0;
            }
            size += e.message.len() + 26;
            cur.push(e);
        }
        if !cur.is_empty() {
            batches.push(cur);
        }
        batches
    }

    /// Sends everything pending now.
    pub(crate) async fn flush(&self, sink: &dyn LogSink) {
        for batch in self.take_batches() {
            if let Err(e) = sink.put_events(&self.stream, batch).await {
                tracing::warn!(group = %self.stream.group, stream = %self.stream.stream, error = %e, "lambda log events lost");
            }
        }
    }

    /// Flushes every 200 ms, or sooner when a batch is full; ends when the log is gone (the
    /// sandbox's cleanup also aborts it).
    pub(crate) fn spawn_flusher(
        self: &Arc<Self>,
        sink: Arc<dyn LogSink>,
    ) -> tokio::task::JoinHandle<()> {
        let log = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(l) = log.upgrade() else { return };
                let woke = l.wake.notified();
                tokio::pin!(woke);
                woke.as_mut().enable();
                l.flush(sink.as_ref()).await;
                tokio::select! {
                    _ = &mut woke => {}
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
        })
    }
}

/// Splits a byte stream into lines with bounded memory.
#[derive(Default)]
struct LineSplitter {
    partial: Vec<u8>,
    /// The current line was already cut; skip the rest of it.
    skipping: bool,
}

impl LineSplitter {
    fn feed(&mut self, mut data: &[u8], log: &SandboxLog) {
        while let Some(nl) = data.iter().position(|&b| b == b'\n') {
            self.push(&data[..nl], log);
            if !self.skipping {
                log.line(&String::from_utf8_lossy(&self.partial));
            }
            self.partial.clear();
            self.skipping = false;
            data = &data[nl + 1..];
        }
        self.push(data, log);
    }

    fn push(&mut self, data: &[u8], log: &SandboxLog) {
        if self.skipping {
            return;
        }
        self.partial.extend_from_slice(data);
        if self.partial.len() > MAX_LINE {
            // line() cuts it and adds the marker; the rest of the line is dropped
            log.line(&String::from_utf8_lossy(&self.partial));
            self.partial.clear();
            self.skipping = true;
        }
    }

    fn finish(&mut self, log: &SandboxLog) {
        if !self.partial.is_empty() && !self.skipping {
            log.line(&String::from_utf8_lossy(&self.partial));
        }
        self.partial.clear();
    }
}

/// The read end of a sandbox's output pipe.
pub(crate) struct Capture {
    rx: pipe::Receiver,
    state: Mutex<(LineSplitter, bool)>,
    log: Arc<SandboxLog>,
}

impl Capture {
    pub(crate) fn new(rx: pipe::Receiver, log: Arc<SandboxLog>) -> Arc<Self> {
        Arc::new(Self {
            rx,
            state: Mutex::new((LineSplitter::default(), false)),
            log,
        })
    }

    /// Reads what the pipe holds right now; false once the pipe is closed.
    ///
    /// The runtime writes its output before it posts the result, so calling this after the
    /// result arrived puts every line of the invocation before END.
    pub(crate) fn drain(&self) -> bool {
        let mut st = lock(&self.state);
        if st.1 {
            return false;
        }
        let mut buf = [0u8; 64 * 1024];
        // bounded so one flood does not hold the lock for long; the reader task comes back
        for _ in 0..64 {
            match self.rx.try_read(&mut buf) {
                Ok(0) => {
                    st.0.finish(&self.log);
                    st.1 = true;
                    return false;
                }
                Ok(n) => st.0.feed(&buf[..n], &self.log),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    st.0.finish(&self.log);
                    st.1 = true;
                    return false;
                }
            }
        }
        true
    }

    /// Reads until the pipe closes (every process of the sandbox exited).
    pub(crate) fn spawn_reader(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                if me.rx.readable().await.is_err() {
                    return;
                }
                if !me.drain() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        })
    }
}

/// `2024-01-02T03:04:05.678Z`.
pub(crate) fn rfc3339_millis(epoch_ms: u64) -> String {
    let (y, mo, d) = civil(epoch_ms / 86_400_000);
    let ms_of_day = epoch_ms % 86_400_000;
    let (h, mi, s, ms) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// `2024/01/02`, the date prefix of Lambda's log stream names.
pub(crate) fn date_path(epoch_ms: u64) -> String {
    let (y, mo, d) = civil(epoch_ms / 86_400_000);
    format!("{y:04}/{mo:02}/{d:02}")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's method).
fn civil(days: u64) -> (i64, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> Arc<SandboxLog> {
        SandboxLog::new(LogStreamRef {
            account_id: "1".into(),
            region: "r".into(),
            group: "g".into(),
            stream: "s".into(),
        })
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_704_164_645_678),
            "2024-01-02T03:04:05.678Z"
        );
        assert_eq!(date_path(1_709_164_800_000), "2024/02/29");
    }

    #[test]
    fn lines_are_split_cut_and_bounded() {
        let l = log();
        l.start_tail();
        let mut sp = LineSplitter::default();
        sp.feed(b"one\ntw", &l);
        sp.feed(b"o\r\nthr", &l);
        sp.finish(&l);
        let long = vec![b'x'; MAX_LINE * 2 + 10];
        sp.feed(&long, &l);
        sp.feed(b"yyy\nafter\n", &l);
        let batches = l.take_batches();
        let msgs: Vec<_> = batches.concat().into_iter().map(|e| e.message).collect();
        assert_eq!(&msgs[..3], ["one", "two", "thr"]);
        assert!(msgs[3].ends_with(TRUNCATED) && msgs[3].len() == MAX_LINE);
        assert_eq!(msgs[4], "after");
        let tail = l.take_tail();
        assert!(tail.len() <= TAIL_BYTES && tail.ends_with("after\n"));
    }

    #[test]
    fn pending_is_bounded_with_a_marker() {
        let l = log();
        let line = "z".repeat(1000);
        for _ in 0..(MAX_PENDING / 1000 + 500) {
            l.line(&line);
        }
        let batches = l.take_batches();
        let all = batches.concat();
        assert!(all.len() < MAX_PENDING / 1000 + 10);
        assert!(
            all.last()
                .is_some_and(|e| e.message.contains("log lines") && e.message.contains("dropped"))
        );
        assert!(
            batches
                .iter()
                .all(|b| b.iter().map(|e| e.message.len()).sum::<usize>() <= BATCH_BYTES)
        );
    }
}
