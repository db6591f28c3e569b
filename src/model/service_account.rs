//! ServiceAccount objects: their own automount setting decides for pods that do not.

use super::field::BoolField;
use super::object::{ObjectMeta, TypeMeta};
use crate::FileId;
use crate::yaml::NodeRef;

#[derive(Clone, Debug)]
pub struct ServiceAccount {
    pub file: FileId,
    pub meta: ObjectMeta,
    pub automount: Option<BoolField>,
}

impl ServiceAccount {
    pub fn is_service_account(type_meta: &TypeMeta<'_>) -> bool {
        type_meta.kind == "ServiceAccount" && type_meta.api_version == "v1"
    }

    pub fn read(file: FileId, meta: ObjectMeta, root: NodeRef<'_>) -> ServiceAccount {
        ServiceAccount {
            file,
            meta,
            automount: root
                .entry("automountServiceAccountToken")
                .map(|(k, v)| BoolField::read(k, v)),
        }
    }
}
