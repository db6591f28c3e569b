//! Who a pod runs as (SPEC 4.2) and how RBAC names service accounts: the
//! `system:serviceaccount:NS:NAME` user and the groups that hold service accounts.

/// The service account of a pod that names none.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";

/// The service account a pod runs as: `serviceAccountName`, else the deprecated
/// `serviceAccount`, else `default`; a field written empty names none.
pub fn pod_service_account<'a>(
    service_account_name: Option<&'a str>,
    service_account: Option<&'a str>,
) -> &'a str {
    [service_account_name, service_account]
        .into_iter()
        .flatten()
        .find(|name| !name.is_empty())
        .unwrap_or(DEFAULT_SERVICE_ACCOUNT)
}

/// The (namespace, name) of the service account a user name stands for, if it is one
/// (`system:serviceaccount:NS:NAME`).
pub fn service_account_user(user: &str) -> Option<(&str, &str)> {
    user.strip_prefix("system:serviceaccount:")?.split_once(':')
}

/// A group whose members include service accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceAccountGroup<'a> {
    /// `system:serviceaccounts`, or `system:authenticated`, which holds them too.
    Every,
    /// `system:serviceaccounts:NS`: those of one namespace.
    Namespace(&'a str),
}

impl ServiceAccountGroup<'_> {
    /// Whether the service account of `namespace` is a member.
    pub fn holds(self, namespace: &str) -> bool {
        match self {
            ServiceAccountGroup::Every => true,
            ServiceAccountGroup::Namespace(own) => own == namespace,
        }
    }
}

/// The service accounts a group holds, if it holds any.
pub fn service_account_group(group: &str) -> Option<ServiceAccountGroup<'_>> {
    match group {
        "system:serviceaccounts" | "system:authenticated" => Some(ServiceAccountGroup::Every),
        _ => group
            .strip_prefix("system:serviceaccounts:")
            .map(ServiceAccountGroup::Namespace),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_runs_as_the_first_named_service_account_else_default() {
        assert_eq!(pod_service_account(Some("api"), Some("old")), "api");
        assert_eq!(pod_service_account(Some(""), Some("old")), "old");
        assert_eq!(pod_service_account(None, Some("old")), "old");
        assert_eq!(pod_service_account(Some(""), None), "default");
        assert_eq!(pod_service_account(None, None), "default");
    }

    #[test]
    fn service_account_users_and_groups() {
        assert_eq!(
            service_account_user("system:serviceaccount:shop:api"),
            Some(("shop", "api"))
        );
        assert_eq!(service_account_user("system:serviceaccounts:shop"), None);
        assert_eq!(service_account_user("alice"), None);
        let every = service_account_group("system:serviceaccounts");
        assert_eq!(every, Some(ServiceAccountGroup::Every));
        assert_eq!(
            service_account_group("system:authenticated"),
            Some(ServiceAccountGroup::Every)
        );
        let shop = service_account_group("system:serviceaccounts:shop");
        assert_eq!(shop, Some(ServiceAccountGroup::Namespace("shop")));
        assert!(shop.is_some_and(|g| g.holds("shop") && !g.holds("other")));
        assert_eq!(service_account_group("system:masters"), None);
        assert_eq!(service_account_group("system:unauthenticated"), None);
    }
}
