//! Secrets that hold a service account token.

use super::field::key_value_origin;
use super::object::ObjectMeta;
use crate::k8s::tokens::{SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE};
use crate::origin::{Located, Origin};
use crate::yaml::NodeRef;
use compact_str::CompactString;

/// A `Secret` of type `kubernetes.io/service-account-token`.
#[derive(Clone, Debug)]
pub struct TokenSecret {
    pub meta: ObjectMeta,
    /// The `type` key with its value.
    pub type_at: Origin,
    /// The service account named by the annotation, if any.
    pub service_account: Option<Located<CompactString>>,
}

impl TokenSecret {
    /// The Secret at `root` if it is a token Secret; `meta` reads its metadata.
    pub fn read(root: NodeRef<'_>, meta: impl FnOnce() -> ObjectMeta) -> Option<TokenSecret> {
        let (type_key, type_value) = root.entry("type")?;
        if type_value.as_str()? != SERVICE_ACCOUNT_TOKEN_TYPE {
            return None;
        }
        let service_account = root
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.entry(SERVICE_ACCOUNT_NAME_ANNOTATION))
            .and_then(|(k, v)| {
                let name = v.as_str().filter(|n| !n.is_empty())?;
                Some(Located::new(name.into(), key_value_origin(k, v)))
            });
        Some(TokenSecret {
            meta: meta(),
            type_at: key_value_origin(type_key, type_value),
            service_account,
        })
    }
}
