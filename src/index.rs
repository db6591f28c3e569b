//! Cross-object facts, built once after every file is loaded: service accounts by
//! namespace and name.

use std::collections::HashMap;

use crate::model::ServiceAccount;

pub struct Index<'m> {
    /// namespace -> name -> definitions.
    service_accounts: HashMap<&'m str, HashMap<&'m str, Vec<&'m ServiceAccount>>>,
}

impl<'m> Index<'m> {
    pub fn build(service_accounts: &'m [ServiceAccount], default_namespace: &'m str) -> Self {
        let mut by_name: HashMap<&str, HashMap<&str, Vec<&ServiceAccount>>> = HashMap::new();
        for sa in service_accounts {
            by_name
                .entry(sa.meta.namespace_or(default_namespace))
                .or_default()
                .entry(sa.meta.name.as_str())
                .or_default()
                .push(sa);
        }
        Index {
            service_accounts: by_name,
        }
    }

    /// Every definition of the service account, in file order.
    pub fn service_account(&self, namespace: &str, name: &str) -> &[&'m ServiceAccount] {
        self.service_accounts
            .get(namespace)
            .and_then(|names| names.get(name))
            .map_or(&[], Vec::as_slice)
    }
}
