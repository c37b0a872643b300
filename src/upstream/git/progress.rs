//! gix's progress tree folded into our [`Progress`]: only the bytes of the pack as they arrive
//! are reported (what libgit2's transfer callback gave before), and counted for the low-speed
//! watchdog (`remote.rs`); every other counter gix keeps (objects indexed, deltas resolved, the
//! remote's messages) is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use gix::progress::{Id, MessageLevel, Step, StepShared, Unit};

use crate::upstream::Progress;

/// The id gix gives the count of pack bytes read (`gix_pack::bundle::write::ProgressId`).
const READ_PACK_BYTES: Id = *b"BWRB";

/// One node of gix's progress tree; the node counting pack bytes forwards them to `sink`.
pub(super) struct PackProgress {
    sink: Option<Arc<dyn Progress>>,
    /// Pack bytes received so far, for the watchdog.
    pack_bytes: Arc<AtomicU64>,
    id: Id,
    step: StepShared,
}

impl PackProgress {
    /// The root node; pack bytes go to `sink` and are added to `pack_bytes`.
    pub(super) fn new(sink: Option<Arc<dyn Progress>>, pack_bytes: Arc<AtomicU64>) -> PackProgress {
        PackProgress {
            sink,
            pack_bytes,
            id: gix::progress::UNKNOWN,
            step: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn child(&self, id: Id) -> PackProgress {
        PackProgress {
            sink: self.sink.clone(),
            pack_bytes: self.pack_bytes.clone(),
            id,
            step: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Count `bytes` more, if this node's counts are pack bytes.
    fn advance(&self, bytes: u64) {
        if self.id != READ_PACK_BYTES {
            return;
        }
        self.pack_bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Some(sink) = self.sink.as_deref() {
            sink.advance(bytes);
        }
    }
}

impl gix::Count for PackProgress {
    fn set(&self, step: Step) {
        let before = self.step.swap(step, Ordering::Relaxed);
        self.advance(step.saturating_sub(before) as u64);
    }

    fn step(&self) -> Step {
        self.step.load(Ordering::Relaxed)
    }

    fn inc_by(&self, step: Step) {
        self.step.fetch_add(step, Ordering::Relaxed);
        self.advance(step as u64);
    }

    fn counter(&self) -> StepShared {
        // Whoever counts through the shared counter is not reported; only the pack-bytes node
        // matters, and gix counts those through `inc_by`.
        self.step.clone()
    }
}

impl gix::Progress for PackProgress {
    fn init(&mut self, _max: Option<Step>, _unit: Option<Unit>) {}

    fn set_name(&mut self, _name: String) {}

    fn name(&self) -> Option<String> {
        None
    }

    fn id(&self) -> Id {
        self.id
    }

    fn message(&self, _level: MessageLevel, _message: String) {}
}

impl gix::NestedProgress for PackProgress {
    type SubProgress = PackProgress;

    fn add_child(&mut self, _name: impl Into<String>) -> PackProgress {
        self.child(gix::progress::UNKNOWN)
    }

    fn add_child_with_id(&mut self, _name: impl Into<String>, id: Id) -> PackProgress {
        self.child(id)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use gix::{Count, NestedProgress};

    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<u64>);

    impl Progress for Recorder {
        fn start(&self, _label: &str, _total: Option<u64>) {}
        fn advance(&self, bytes: u64) {
            *self.0.lock().unwrap() += bytes;
        }
        fn finish(&self) {}
    }

    #[test]
    fn only_pack_bytes_reach_the_sink() {
        let recorder = Arc::new(Recorder::default());
        let counted = Arc::new(AtomicU64::new(0));
        let mut root = PackProgress::new(Some(recorder.clone()), counted.clone());
        let objects = root.add_child("objects");
        objects.inc_by(1000);
        let mut bundle = root.add_child("write pack");
        let bytes = bundle.add_child_with_id("read pack", READ_PACK_BYTES);
        bytes.inc_by(300);
        bytes.set(500);
        bytes.inc_by(20);
        assert_eq!(*recorder.0.lock().unwrap(), 520);
        assert_eq!(counted.load(Ordering::Relaxed), 520);
    }
}
