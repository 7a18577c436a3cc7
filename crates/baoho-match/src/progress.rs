//! Progress of a long run, shared between the engine (which advances it) and a display
//! (which polls it from another thread, e.g. the CLI's progress bar).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The phases of a run, in order.
pub const PHASES: [&str; 6] = [
    "preparing list",
    "preparing registry",
    "blocking",
    "comparing pairs",
    "training",
    "deciding",
];

/// Phase, units done and units in the phase. Cheap to advance from many threads.
#[derive(Debug, Default)]
pub struct Progress {
    phase: AtomicUsize,
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }

    /// Enter phase `phase` (an index into [`PHASES`]) with `total` units to do.
    pub fn start(&self, phase: usize, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
    }

    pub fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }

    /// (phase name, units done, units in the phase); done never exceeds the total.
    pub fn get(&self) -> (&'static str, u64, u64) {
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed).min(total);
        let phase = PHASES
            .get(self.phase.load(Ordering::Relaxed))
            .copied()
            .unwrap_or("");
        (phase, done, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_reset_and_clamp() {
        let p = Progress::new();
        p.start(2, 10);
        p.advance(4);
        p.advance(4);
        assert_eq!(p.get(), ("blocking", 8, 10));
        p.advance(9);
        assert_eq!(p.get(), ("blocking", 10, 10));
        p.start(3, 100);
        assert_eq!(p.get(), ("comparing pairs", 0, 100));
    }
}
