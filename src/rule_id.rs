//! Which rule a finding belongs to, and how loud it is: the two facts that the config,
//! the findings, the rules and every report share. A leaf: it imports nothing from the
//! crate, so none of them depends on another through it.

use std::fmt;

/// A rule's identity: its code (`TG001`) and its name (`token-automount-untrusted`).
/// The variants are in code order, which is the order of `tokenguard rules`, of SARIF's
/// rule list, and the tie-break of report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    ManifestUnreadable,
    TokenAutomountUntrusted,
    ServiceAccountAutomountEnabled,
    ProjectedTokenUntrusted,
    ProjectedTokenLongLived,
    LegacyTokenSecret,
    TokenCreationRbac,
    TokenSecretReadRbac,
    IneffectiveTokenRbac,
    UnknownServiceAccount,
    AmbiguousAutomountValue,
    DeprecatedServiceAccountField,
    ExemptionExpired,
    TrustEntryUnused,
    PrivilegedTokenAutomountUntrusted,
    DuplicateKey,
}

impl RuleId {
    /// Every rule, in code order.
    pub const ALL: [RuleId; 16] = [
        RuleId::ManifestUnreadable,
        RuleId::TokenAutomountUntrusted,
        RuleId::ServiceAccountAutomountEnabled,
        RuleId::ProjectedTokenUntrusted,
        RuleId::ProjectedTokenLongLived,
        RuleId::LegacyTokenSecret,
        RuleId::TokenCreationRbac,
        RuleId::TokenSecretReadRbac,
        RuleId::IneffectiveTokenRbac,
        RuleId::UnknownServiceAccount,
        RuleId::AmbiguousAutomountValue,
        RuleId::DeprecatedServiceAccountField,
        RuleId::ExemptionExpired,
        RuleId::TrustEntryUnused,
        RuleId::PrivilegedTokenAutomountUntrusted,
        RuleId::DuplicateKey,
    ];

    /// `TG001`.
    pub fn code(self) -> &'static str {
        self.identity().0
    }

    /// `token-automount-untrusted`.
    pub fn name(self) -> &'static str {
        self.identity().1
    }

    /// The position in [`RuleId::ALL`] (SARIF's `ruleIndex`).
    pub fn index(self) -> usize {
        self as usize
    }

    fn identity(self) -> (&'static str, &'static str) {
        match self {
            RuleId::ManifestUnreadable => ("TG000", "manifest-unreadable"),
            RuleId::TokenAutomountUntrusted => ("TG001", "token-automount-untrusted"),
            RuleId::ServiceAccountAutomountEnabled => {
                ("TG002", "service-account-automount-enabled")
            }
            RuleId::ProjectedTokenUntrusted => ("TG003", "projected-token-untrusted"),
            RuleId::ProjectedTokenLongLived => ("TG004", "projected-token-long-lived"),
            RuleId::LegacyTokenSecret => ("TG005", "legacy-token-secret"),
            RuleId::TokenCreationRbac => ("TG006", "token-creation-rbac"),
            RuleId::TokenSecretReadRbac => ("TG007", "token-secret-read-rbac"),
            RuleId::IneffectiveTokenRbac => ("TG008", "ineffective-token-rbac"),
            RuleId::UnknownServiceAccount => ("TG009", "unknown-service-account"),
            RuleId::AmbiguousAutomountValue => ("TG010", "ambiguous-automount-value"),
            RuleId::DeprecatedServiceAccountField => ("TG011", "deprecated-service-account-field"),
            RuleId::ExemptionExpired => ("TG012", "exemption-expired"),
            RuleId::TrustEntryUnused => ("TG013", "trust-entry-unused"),
            RuleId::PrivilegedTokenAutomountUntrusted => {
                ("TG014", "privileged-token-automount-untrusted")
            }
            RuleId::DuplicateKey => ("TG015", "duplicate-key"),
        }
    }

    /// A rule by its code in any case (`TG001`, `tg001`), as the config writes it.
    pub fn from_code(text: &str) -> Option<RuleId> {
        RuleId::ALL
            .into_iter()
            .find(|id| id.code().eq_ignore_ascii_case(text))
    }

    /// A rule by its code or its name, in any case: `TG001`, `tg001`,
    /// `token-automount-untrusted`, as a person asks for it.
    pub fn parse(text: &str) -> Option<RuleId> {
        RuleId::from_code(text).or_else(|| {
            RuleId::ALL
                .into_iter()
                .find(|id| id.name().eq_ignore_ascii_case(text))
        })
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// How serious a finding is; SARIF's `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_in_order_and_match_the_index() {
        for (i, id) in RuleId::ALL.into_iter().enumerate() {
            assert_eq!(id.index(), i);
            assert_eq!(id.code(), format!("TG{i:03}"));
        }
    }

    #[test]
    fn parses_codes_and_names_in_any_case() {
        assert_eq!(
            RuleId::parse("TG001"),
            Some(RuleId::TokenAutomountUntrusted)
        );
        assert_eq!(
            RuleId::parse("tg001"),
            Some(RuleId::TokenAutomountUntrusted)
        );
        assert_eq!(
            RuleId::parse("Tg014"),
            Some(RuleId::PrivilegedTokenAutomountUntrusted)
        );
        assert_eq!(
            RuleId::parse("Legacy-Token-Secret"),
            Some(RuleId::LegacyTokenSecret)
        );
        assert_eq!(RuleId::parse("TG999"), None);
        assert_eq!(RuleId::parse("TG01"), None);
        assert_eq!(RuleId::parse(""), None);
        assert_eq!(RuleId::parse("*"), None);
        assert_eq!(RuleId::from_code("tg005"), Some(RuleId::LegacyTokenSecret));
        assert_eq!(RuleId::from_code("legacy-token-secret"), None);
    }

    #[test]
    fn display_is_the_code() {
        assert_eq!(RuleId::TrustEntryUnused.to_string(), "TG013");
        assert_eq!(format!("{:<7}|", RuleId::TrustEntryUnused), "TG013  |");
    }
}
