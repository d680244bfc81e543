//! Which tokio runtime a daemon (authority or resolver) runs on: the current-thread one when a
//! single worker is asked for (`TOKIO_WORKER_THREADS=1`, or a process pinned to one core), else
//! the multi-threaded one.
//!
//! One worker on the multi-threaded runtime still pays for work stealing, a separate driver
//! handoff and cross-thread wake-ups; Unbound with `num-threads: 1` is one plain event loop.

use std::fmt;
use std::num::NonZeroUsize;

/// The environment variable tokio's multi-threaded runtime reads for its worker count.
pub const WORKER_THREADS_VARIABLE: &str = "TOKIO_WORKER_THREADS";

/// The runtime the daemon was built on, as the ready line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeFlavor {
    CurrentThread,
    MultiThread,
}

impl fmt::Display for RuntimeFlavor {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeFlavor::CurrentThread => write!(formatter, "current-thread runtime"),
            RuntimeFlavor::MultiThread => write!(formatter, "multi-thread runtime"),
        }
    }
}

/// `TOKIO_WORKER_THREADS` decides when set (as tokio itself reads it: one means one worker);
/// otherwise the cores this process may run on (`available_parallelism` follows the affinity
/// mask, so `taskset -c 0` counts as one).
pub fn choose_flavor(
    worker_threads: Option<&str>,
    available_cores: Option<NonZeroUsize>,
) -> RuntimeFlavor {
    let one_worker = match worker_threads {
        Some(value) => value.trim().parse::<usize>().ok() == Some(1),
        None => available_cores.map(NonZeroUsize::get) == Some(1),
    };
    if one_worker {
        RuntimeFlavor::CurrentThread
    } else {
        RuntimeFlavor::MultiThread
    }
}

/// The cores this process may run on (its affinity mask), 1 when unknown.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// The flavor for a server of `workers` UDP workers: `TOKIO_WORKER_THREADS` decides when set,
/// else one worker gets the current-thread runtime.
pub fn flavor_for_workers(workers: usize) -> RuntimeFlavor {
    let worker_threads = std::env::var(WORKER_THREADS_VARIABLE).ok();
    choose_flavor(worker_threads.as_deref(), NonZeroUsize::new(workers))
}

/// The flavor for this process, from its environment and affinity mask.
pub fn flavor_for_this_process() -> RuntimeFlavor {
    let worker_threads = std::env::var(WORKER_THREADS_VARIABLE).ok();
    choose_flavor(
        worker_threads.as_deref(),
        std::thread::available_parallelism().ok(),
    )
}

/// Builds the runtime of `flavor`, with I/O and timers.
pub fn build(flavor: RuntimeFlavor) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match flavor {
        RuntimeFlavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        RuntimeFlavor::MultiThread => tokio::runtime::Builder::new_multi_thread(),
    };
    builder.enable_all().build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cores(count: usize) -> Option<NonZeroUsize> {
        NonZeroUsize::new(count)
    }

    #[test]
    fn one_worker_thread_asked_gives_the_current_thread_runtime() {
        assert_eq!(
            choose_flavor(Some("1"), cores(2)),
            RuntimeFlavor::CurrentThread
        );
    }

    #[test]
    fn pinned_to_one_core_gives_the_current_thread_runtime() {
        assert_eq!(choose_flavor(None, cores(1)), RuntimeFlavor::CurrentThread);
    }

    #[test]
    fn worker_threads_variable_wins_over_the_affinity_mask() {
        assert_eq!(
            choose_flavor(Some("2"), cores(1)),
            RuntimeFlavor::MultiThread
        );
    }

    #[test]
    fn several_cores_or_unknown_gives_the_multi_thread_runtime() {
        assert_eq!(choose_flavor(None, cores(4)), RuntimeFlavor::MultiThread);
        assert_eq!(choose_flavor(None, None), RuntimeFlavor::MultiThread);
        assert_eq!(
            choose_flavor(Some("many"), cores(4)),
            RuntimeFlavor::MultiThread
        );
    }

    #[test]
    fn both_flavors_build_and_run_a_task() {
        for flavor in [RuntimeFlavor::CurrentThread, RuntimeFlavor::MultiThread] {
            let runtime = build(flavor).unwrap();
            assert_eq!(
                runtime
                    .block_on(async { tokio::spawn(async { 7 }).await })
                    .unwrap(),
                7
            );
        }
    }
}
