//! One catalog per lab address, holding only the zones the plan puts there; built once per load
//! so a query only looks its local address up. Sharing `Arc<Zone>`s, a view copies no zone data.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::AddressPlan;
use crate::catalog::zones::Catalog;

#[derive(Debug, Default)]
pub struct LabViews {
    by_address: HashMap<IpAddr, Arc<Catalog>>,
}

impl LabViews {
    /// The views for `plan`, taking the zones from `catalog` (which the plan was made from).
    pub fn new(catalog: &Catalog, plan: &AddressPlan) -> LabViews {
        let by_address = plan
            .zones_by_address
            .iter()
            .map(|(address, origins)| {
                let zones = origins
                    .iter()
                    .filter_map(|origin| catalog.zone(origin).cloned());
                (*address, Arc::new(Catalog::new(zones)))
            })
            .collect();
        LabViews { by_address }
    }

    /// The zones served at `address`, or `None` for an address outside the plan.
    pub fn view(&self, address: IpAddr) -> Option<&Arc<Catalog>> {
        self.by_address.get(&address)
    }
}
