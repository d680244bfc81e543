//! The lab's `listen::Handler`: answers each query from the view of the address it arrived on,
//! so 127.53.0.1 answers as a root server and refers, and never answers for a zone it does not serve.

use std::sync::{Arc, RwLock};

use super::LabViews;
use crate::answer::handler::answer_packet;
use crate::listen::{Handler, RequestContext};

/// Holds the current views; a reload swaps the whole `Arc`, as `SharedCatalog` does.
#[derive(Debug)]
pub struct LabHandler {
    views: RwLock<Arc<LabViews>>,
}

impl LabHandler {
    pub fn new(views: LabViews) -> LabHandler {
        LabHandler {
            views: RwLock::new(Arc::new(views)),
        }
    }

    pub fn current(&self) -> Arc<LabViews> {
        match self.views.read() {
            Ok(guard) => guard.clone(),
            // Writers only swap an Arc; a poisoned lock still holds whole views.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, views: LabViews) {
        let next = Arc::new(views);
        match self.views.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

impl Handler for LabHandler {
    fn handle(
        &self,
        request: &[u8],
        context: RequestContext,
    ) -> impl std::future::Future<Output = Option<Vec<u8>>> + Send {
        let views = self.current();
        // Every bound address has a view; a miss could only follow a reload that the plan
        // check refused, so dropping is the safe answer.
        let response = views
            .view(context.local.ip())
            .and_then(|catalog| answer_packet(catalog, request, context.protocol));
        std::future::ready(response)
    }
}
