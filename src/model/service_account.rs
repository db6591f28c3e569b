//! ServiceAccount objects: their own automount setting decides for pods that do not.

use super::field::BoolValue;
use super::object::ObjectMeta;
use crate::origin::Located;
use crate::yaml::NodeRef;

#[derive(Clone, Debug)]
pub struct ServiceAccount {
    pub meta: ObjectMeta,
    pub automount: Option<Located<BoolValue>>,
}

impl ServiceAccount {
    pub fn read(meta: ObjectMeta, root: NodeRef<'_>) -> ServiceAccount {
        ServiceAccount {
            meta,
            automount: root
                .entry("automountServiceAccountToken")
                .map(|(k, v)| BoolValue::read(k, v)),
        }
    }
}
