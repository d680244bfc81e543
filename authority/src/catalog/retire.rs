//! Frees replaced catalogs off the reload path: dropping a million-record zone takes seconds,
//! and neither the NOTIFY that follows a reload nor the catalog's write lock should wait for it.

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};

/// Replaced catalogs waiting for the freeing thread. When it is this far behind, the caller
/// frees its own (the bound on memory held by old versions).
const PENDING_LIMIT: usize = 4;

/// Hands `value` to the freeing thread when this is its last reference (so its drop is the
/// expensive one); otherwise, or when the thread is busy or cannot start, drops it here.
pub fn retire<T: Send + Sync + 'static>(value: Arc<T>) {
    if Arc::strong_count(&value) > 1 {
        return;
    }
    let Some(sender) = sender() else {
        return;
    };
    let boxed: Box<dyn Send> = Box::new(value);
    let result = match sender.lock() {
        Ok(sender) => sender.try_send(boxed),
        Err(poisoned) => poisoned.into_inner().try_send(boxed),
    };
    match result {
        Ok(()) => {}
        // Dropped here: the thread is behind or gone.
        Err(TrySendError::Full(value)) | Err(TrySendError::Disconnected(value)) => drop(value),
    }
}

type Retired = Box<dyn Send>;

/// The freeing thread's queue, started on first use; `None` when the thread cannot start.
fn sender() -> Option<&'static Mutex<SyncSender<Retired>>> {
    static SENDER: OnceLock<Option<Mutex<SyncSender<Retired>>>> = OnceLock::new();
    SENDER
        .get_or_init(|| {
            let (sender, receiver) = sync_channel::<Retired>(PENDING_LIMIT);
            std::thread::Builder::new()
                .name("catalog-free".to_owned())
                .spawn(move || {
                    for retired in receiver {
                        drop(retired);
                        // A replaced zone's pages, back to the system before the next reload.
                        crate::zone::heap_trim::give_back_free_heap_memory();
                    }
                })
                .ok()
                .map(|_| Mutex::new(sender))
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::channel;

    /// Reports on a channel which thread dropped it.
    struct Witness(std::sync::mpsc::Sender<Option<String>>);
    impl Drop for Witness {
        fn drop(&mut self) {
            let _ = self
                .0
                .send(std::thread::current().name().map(str::to_owned));
        }
    }

    #[test]
    fn the_last_reference_is_freed_on_the_freeing_thread() {
        let (sender, receiver) = channel();
        retire(Arc::new(Witness(sender)));
        let dropped_on = receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("dropped");
        assert_eq!(dropped_on.as_deref(), Some("catalog-free"));
    }

    #[test]
    fn a_shared_value_is_only_released() {
        static DROPPED: AtomicBool = AtomicBool::new(false);
        struct Flag;
        impl Drop for Flag {
            fn drop(&mut self) {
                DROPPED.store(true, Ordering::SeqCst);
            }
        }
        let value = Arc::new(Flag);
        retire(value.clone());
        assert!(!DROPPED.load(Ordering::SeqCst));
        assert_eq!(Arc::strong_count(&value), 1);
    }
}
