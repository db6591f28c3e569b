//! Whether Kubernetes mounts a pod's service account token (SPEC 4.3): the pod spec's
//! `automountServiceAccountToken` decides, else the service account's, else true.

/// Which of the three steps decided, and what it decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    PodSpec(bool),
    ServiceAccount(bool),
    /// The service account is defined more than once with different settings.
    ServiceAccountConflict,
    Default,
}

impl Decision {
    /// Whether the token is mounted; an unknown setting counts as Kubernetes' default.
    pub fn automounts(self) -> bool {
        match self {
            Decision::PodSpec(v) | Decision::ServiceAccount(v) => v,
            Decision::ServiceAccountConflict | Decision::Default => true,
        }
    }
}

/// The decision for a pod whose spec sets `pod_spec` (`None`: unset or not a boolean),
/// given the setting of each definition of its service account found.
pub fn decide(
    pod_spec: Option<bool>,
    service_account: impl IntoIterator<Item = Option<bool>>,
) -> Decision {
    if let Some(v) = pod_spec {
        return Decision::PodSpec(v);
    }
    let mut settings = service_account.into_iter();
    let Some(first) = settings.next() else {
        return Decision::Default;
    };
    if settings.any(|v| v != first) {
        return Decision::ServiceAccountConflict;
    }
    first.map_or(Decision::Default, Decision::ServiceAccount)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pod_spec_decides_first() {
        assert_eq!(decide(Some(false), [Some(true)]), Decision::PodSpec(false));
        assert_eq!(decide(Some(true), []), Decision::PodSpec(true));
    }

    #[test]
    fn then_the_service_account_then_the_default() {
        assert_eq!(decide(None, [Some(false)]), Decision::ServiceAccount(false));
        assert_eq!(
            decide(None, [Some(false), Some(false)]),
            Decision::ServiceAccount(false)
        );
        assert_eq!(decide(None, [None]), Decision::Default);
        assert_eq!(decide(None, []), Decision::Default);
        assert_eq!(
            decide(None, [Some(false), None]),
            Decision::ServiceAccountConflict
        );
    }

    #[test]
    fn only_a_false_setting_stops_the_token() {
        assert!(!Decision::PodSpec(false).automounts());
        assert!(!Decision::ServiceAccount(false).automounts());
        assert!(Decision::ServiceAccountConflict.automounts());
        assert!(Decision::Default.automounts());
    }
}
